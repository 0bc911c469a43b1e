package main

import (
	"fmt"
	"net"
	"path/filepath"
)

// The network targets: storage/posix reached through protocol/client and
// protocol/server over loopback TCP, against the local posix graph
// ("loom") in the same run.
func init() {
	targetFactories = append(targetFactories,
		func() Target {
			return newLoomTarget("loom-net", "Loom storage/posix via protocol/client -> loopback TCP -> protocol/server (one loom process, single-file volfile)", networkVolfile)
		})
}

// networkVolfile is the single-file form: a brick, its protocol/server on
// a free loopback port, and the protocol/client graph that is mounted.
func networkVolfile(scratch, name string) (string, []string) {
	brick := filepath.Join(scratch, name+"-brick")
	port := 24007
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	text := fmt.Sprintf(`volume brick
    type storage/posix
    option directory %s
end-volume
volume server
    type protocol/server
    option transport.socket.listen-address 127.0.0.1
    option transport.socket.listen-port %d
    subvolumes brick
end-volume
volume remote
    type protocol/client
    option remote-host 127.0.0.1
    option remote-port %d
    option remote-subvolume brick
end-volume
`, brick, port, port)
	return text, []string{brick}
}
