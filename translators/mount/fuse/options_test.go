package fuse

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseMountOptions(t *testing.T) {
	var o Options
	err := ParseMountOptions("ro,allow_other, default_permissions,fsname=vol0,entry_timeout=2.5,attr_timeout=0,negative_timeout=3,noatime,nodev,max_read=131072", &o)
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		FSName:             "vol0",
		AllowOther:         true,
		DefaultPermissions: true,
		ReadOnly:           true,
		Extra:              []string{"noatime", "nodev", "max_read=131072"},
		EntryTimeout:       2500 * time.Millisecond,
		AttrTimeout:        -1,
		NegativeTimeout:    3 * time.Second,
	}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got %+v\nwant %+v", o, want)
	}
	if err := ParseMountOptions("rw,resolve_groups,gid_timeout=0.5", &o); err != nil {
		t.Fatal(err)
	}
	if o.ReadOnly || !o.ResolveGroups || o.GroupsTimeout != 500*time.Millisecond {
		t.Fatalf("rw,resolve_groups,gid_timeout: got %+v", o)
	}
	if err := ParseMountOptions("passthrough=off", &o); err != nil || !o.NoPassthrough {
		t.Fatalf("passthrough=off: NoPassthrough %v, %v", o.NoPassthrough, err)
	}
	if err := ParseMountOptions("passthrough=on", &o); err != nil || o.NoPassthrough {
		t.Fatalf("passthrough=on: NoPassthrough %v, %v", o.NoPassthrough, err)
	}
}

func TestParseMountOptionsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"entry_timeout=abc", "entry_timeout=abc"},
		{"attr_timeout", "attr_timeout"},
		{"negative_timeout=-1", "negative_timeout=-1"},
		{"fsname=", "fsname"},
		{"ro=1", `"ro=1"`},
		{"passthrough", "passthrough"},
		{"passthrough=yes", "passthrough=yes"},
	} {
		var o Options
		err := ParseMountOptions(tc.in, &o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMountOptions(%q) = %v, want an error naming %s", tc.in, err, tc.want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{AttrTimeout: -1}.withDefaults()
	if o.FSName != "loom" || o.EntryTimeout != time.Second || o.AttrTimeout != 0 || o.NegativeTimeout != 0 || o.Log == nil {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestMountOptionsDirect(t *testing.T) {
	o := Options{ReadOnly: true, Extra: []string{"noatime", "dev", "max_read=65536"}, DefaultPermissions: true}.withDefaults()
	mo := mountOptions(o, true)
	if !mo.DirectMount || !mo.EnableLocks || !mo.EnableAcl || mo.MaxWrite != maxWrite {
		t.Fatalf("mount options: %+v", mo)
	}
	const rdonly, noatime, nodev, nosuid = 1, 1024, 4, 2
	if mo.DirectMountFlags&rdonly == 0 || mo.DirectMountFlags&noatime == 0 || mo.DirectMountFlags&nodev != 0 || mo.DirectMountFlags&nosuid == 0 {
		t.Errorf("flags %#x: want ro, noatime, nosuid and not nodev", mo.DirectMountFlags)
	}
	if !reflect.DeepEqual(mo.Options, []string{"default_permissions", "max_read=65536"}) {
		t.Errorf("kernel options %q", mo.Options)
	}
	user := mountOptions(o, false)
	if user.DirectMount || !reflect.DeepEqual(user.Options, []string{"default_permissions", "ro", "noatime", "dev", "max_read=65536"}) {
		t.Errorf("fusermount options %q", user.Options)
	}
}
