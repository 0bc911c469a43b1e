// Package volfile reads and writes Loom volfiles: the text that describes a
// graph of translators. Two syntaxes describe the same thing, a list of
// xlator.VolumeSpec:
//
//   - GlusterFS syntax ("volume NAME / type T / option K V / subvolumes A B /
//     end-volume"), read by the token rules of GlusterFS's graph.l and
//     graph.y, with two quirks refused on purpose: backtick shell execution
//     and options given twice in one volume.
//   - TOML, as an array of [[volume]] tables with name, type, subvolumes and
//     an options table.
//
// The parsers check syntax and report every error with file:line:col. What
// the graph means (known types, option schemas, cycles, unused volumes) is
// checked by xlator.Check and xlator.Build. FormatGluster and FormatTOML
// write the canonical form of either syntax; converting one way and back
// keeps every name, type, option (in order) and subvolume.
//
// Columns count characters (runes), starting at 1; lines start at 1.
package volfile
