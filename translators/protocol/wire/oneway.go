package wire

import "github.com/loom-fs/loom/xlator"

// MaxOneWayRead is the largest read a one-way request may ask for (the
// one-byte read protocol/client sends to move a file's access time).
const MaxOneWayRead = 4096

// OneWay reports whether req may be sent as a one-way request
// (KindOneWay): the server runs it before it reads the connection's next
// frame and sends no reply, so every later request of the connection
// sees its effect, and the client neither waits for it nor reads an
// answer. Only requests that cannot wait for anything else qualify, since
// the server's reader runs them itself: flush, release, releasedir, a
// read of at most MaxOneWayRead bytes, and the unlock forms of inodelk,
// finodelk, entrylk and fentrylk (a lock request may wait for another
// client; an unlock never does). POSIX locks (lk) never go one way: an
// unlock must be in force for every client when the caller's
// fcntl returns.
func OneWay(req *Request) bool {
	switch req.Op {
	case OpFlush, OpRelease, OpReleasedir:
		return true
	case OpRead:
		return req.Count <= MaxOneWayRead
	case OpInodelk, OpFinodelk:
		cmd := xlator.LkCmd(req.Cmd)
		return (cmd == xlator.LkSet || cmd == xlator.LkSetWait) && req.Lock.Type == xlator.Unlock
	case OpEntrylk, OpFentrylk:
		return xlator.EntrylkCmd(req.Cmd) == xlator.EntryUnlock
	}
	return false
}
