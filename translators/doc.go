// Package translators holds Loom's built-in translators, one folder each
// under translators/<category>/<name>/, and the repository test that keeps
// their READMEs honest: every translator folder has a README.md, every
// declared option is documented in it, and every volfile example in it
// passes the graph builder's checks.
package translators
