package loomcli

import "context"

func init() {
	// The Run functions print their command's help, so they are set
	// here rather than in the declarations (an initialization cycle).
	migrateStartCommand.Run = runMigrateStart
	migrateStatusCommand.Run = runMigrateStatus
	migratePauseCommand.Run = func(ctx context.Context, env *Env, args []string) int { return runMigrateHealCmd(env, "pause", args) }
	migrateResumeCommand.Run = runMigrateResume
	migrateFinishCommand.Run = runMigrateFinish
	migrateVerifyCommand.Run = runMigrateVerify
	migrateStripCommand.Run = runMigrateStrip
	Register(&Command{
		Name:    "migrate",
		Summary: "move a directory tree in use to new storage, live, through a replicate mount",
		Usage:   "loom migrate start|status|pause|resume|finish|verify|strip ...",
		Help: `Live migration: OLD (a directory in use) and NEW (an empty directory on
the new storage) become the two copies of a cluster/replicate graph
mounted on MNT, where the applications use the tree; a full heal copies
OLD to NEW while they keep working (reads of what is not yet copied come
from OLD, writes go to both); "finish" verifies NEW against OLD entry by
entry, unmounts and removes Loom's metadata from both, and NEW is then
used on its own.

  loom migrate start --from OLD --to NEW --mount MNT [--rate-limit MiB/s]
                     [--workers N] [--via-server] [--log-file FILE]
  loom migrate status [--json] [--watch] MNT
  loom migrate pause MNT
  loom migrate resume MNT     resume a paused copy, or restart the mount of
                              a migration whose process died (crash, reboot)
  loom migrate finish MNT
  loom migrate verify [--json] [--no-atime] [--no-data-map] A B
  loom migrate strip DIR

The migration's state is NEW/.loom/migrate.json (with the generated
volfile, migrate.vol, beside it); /var/lib/loom/migrate/ maps each
mountpoint to its NEW directory. See docs/migration.md.`,
		Subcommands: []*Command{
			migrateStartCommand, migrateStatusCommand, migratePauseCommand, migrateResumeCommand,
			migrateFinishCommand, migrateVerifyCommand, migrateStripCommand,
		},
	})
}
