package distribute

import "testing"

func TestParseReserve(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Reserve
		bad  bool
	}{
		{"10%", Reserve{Percent: 10}, false},
		{"0", Reserve{}, false},
		{"12.5", Reserve{Percent: 12.5}, false},
		{"5GB", Reserve{Bytes: 5 << 30}, false},
		{"4096", Reserve{Percent: 4096}, true},
		{"lots", Reserve{}, true},
	} {
		got, err := ParseReserve(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseReserve(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestPlace(t *testing.T) {
	roomy := Space{Known: true, Total: 1000, Available: 500}
	roomier := Space{Known: true, Total: 1000, Available: 800}
	full := Space{Known: true, Total: 1000, Available: 50}
	all := []bool{true, true, true}
	pct := Reserve{Percent: 10}
	for _, tc := range []struct {
		name   string
		hashed int
		spaces []Space
		up     []bool
		r      Reserve
		want   int
	}{
		{"hashed has room", 0, []Space{roomy, roomier, roomy}, all, pct, 0},
		{"hashed full: most room", 0, []Space{full, roomy, roomier}, all, pct, 2},
		{"hashed full: skip down", 0, []Space{full, roomy, roomier}, []bool{true, true, false}, pct, 1},
		{"every one full", 1, []Space{full, full, full}, all, pct, 1},
		{"unknown space counts as room", 0, []Space{{}, roomier, roomy}, all, pct, 0},
		{"absolute reserve", 0, []Space{roomy, roomier, full}, all, Reserve{Bytes: 600}, 1},
		{"no reserve", 0, []Space{full, roomier, roomy}, all, Reserve{}, 0},
	} {
		if got := Place(tc.hashed, tc.spaces, tc.up, tc.r); got != tc.want {
			t.Errorf("%s: Place = %d, want %d", tc.name, got, tc.want)
		}
	}
}
