package distribute

import "testing"

func TestMayMoveAway(t *testing.T) {
	committed := Spread([]bool{true, true}, 0, 1, true)
	uncommitted := Spread([]bool{true, true}, 0, 2, false)
	name := "a"
	home, _ := committed.Search(Hash(name))
	for _, tc := range []struct {
		what        string
		lay         Layout
		sub         int
		rebalancing bool
		want        bool
	}{
		{"settled: on its hashed child", committed, home, false, false},
		{"settled: on another child", committed, 1 - home, false, true},
		{"a rebalance runs here", committed, home, true, true},
		{"layout not committed", uncommitted, home, false, true},
		{"layout unknown", nil, home, false, true},
	} {
		if got := mayMoveAway(tc.lay, name, tc.sub, tc.rebalancing); got != tc.want {
			t.Errorf("%s: mayMoveAway = %v, want %v", tc.what, got, tc.want)
		}
	}
}
