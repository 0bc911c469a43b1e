// Package wire is Loom's network protocol between protocol/client and
// protocol/server: the connection preface and handshake, the frame header,
// and a compact hand-written binary codec for every fop's request and
// reply (docs/protocol.md describes the bytes).
//
// Every decoder treats its input as hostile: each length is checked
// against a limit before anything is allocated, unknown ops and kinds are
// refused, and names are checked. Nothing here does I/O beyond reading or
// writing whole frames; the translators own the connections.
package wire
