package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperErrnoExit is the exit status of a helper whose operation failed
// with an errno; the errno's number is the last line on its stderr.
const helperErrnoExit = 3

// runHelper performs one file operation for a test, running under the
// credentials the test gave the process. args are OP PATH [DATA]:
//
//	create PATH DATA  create PATH exclusively (mode 0644) and write DATA
//	write PATH DATA   truncate the existing PATH and write DATA
//	append PATH DATA  append DATA to the existing PATH (no truncation)
//	truncate PATH     truncate(2) PATH to 0 bytes
//	read PATH         print the contents of PATH
//	mkdir PATH        create the directory PATH (mode 0755)
func runHelper(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "helper: usage: OP PATH [DATA]")
		return 2
	}
	op, path := args[0], args[1]
	data := ""
	if len(args) > 2 {
		data = args[2]
	}
	var err error
	switch op {
	case "create":
		err = writeFileFlags(path, data, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	case "write":
		err = writeFileFlags(path, data, os.O_WRONLY|os.O_TRUNC)
	case "append":
		err = writeFileFlags(path, data, os.O_WRONLY|os.O_APPEND)
	case "truncate":
		err = os.Truncate(path, 0)
	case "read":
		var b []byte
		b, err = os.ReadFile(path)
		os.Stdout.Write(b)
	case "mkdir":
		err = os.Mkdir(path, 0o755)
	default:
		fmt.Fprintf(os.Stderr, "helper: unknown op %q\n", op)
		return 2
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		fmt.Fprintf(os.Stderr, "%v\n%d\n", err, int(errno))
		return helperErrnoExit
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// writeFileFlags opens path with flags (mode 0644 if it creates it) and
// writes data.
func writeFileFlags(path, data string, flags int) error {
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// user is a set of credentials a helper runs with.
type user struct {
	uid, gid uint32
	groups   []uint32 // supplementary groups
}

// asUser runs the helper operation op on path (with optional data) as u,
// with a timeout, and returns its standard output and the errno it failed
// with (0 on success). Failures other than an errno fail the test.
func asUser(t *testing.T, u user, op, path string, data ...string) (string, syscall.Errno) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, helperBin, append([]string{op, path}, data...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups},
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("helper %s %s as uid %d: no answer within 30s (hung mount?)", op, path, u.uid)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), 0
	case errors.As(err, &exit) && exit.ExitCode() == helperErrnoExit:
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		n, perr := strconv.Atoi(lines[len(lines)-1])
		if perr != nil {
			t.Fatalf("helper %s %s: cannot read its errno from %q", op, path, stderr.String())
		}
		return stdout.String(), syscall.Errno(n)
	}
	t.Fatalf("helper %s %s as uid %d: %v: %s", op, path, u.uid, err, stderr.String())
	return "", 0
}
