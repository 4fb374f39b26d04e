package supervisord

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"nixproc/backends"
)

// RunStateless runs a private supervisord in the foreground with a built
// profile, as nixproc-supervisord-deploy-stateless does: the state
// directories and the profile's users and groups are made first, TERM,
// INT, QUIT, HUP and USR2 are passed on to supervisord, and once it has
// exited the users and groups this run created (and only those) are
// removed. It returns supervisord's exit status.
func RunStateless(ctx context.Context, env *backends.Env, profilePath string) (int, error) {
	p, err := backends.OpenProfile(profilePath)
	if err != nil {
		return 1, err
	}
	if p.Meta.ProcessManager != "supervisord" {
		return 1, fmt.Errorf("%s is a %s profile, not a supervisord one", profilePath, p.Meta.ProcessManager)
	}
	if err := backends.InitState(p.Meta.Dirs, p.Meta.ForceDisableUserChange); err != nil {
		return 1, err
	}
	created, err := backends.CreateProfileAccounts(ctx, env.Runner, p)
	defer func() {
		if err := backends.DeleteCreatedAccounts(context.WithoutCancel(ctx), env.Runner, created); err != nil {
			fmt.Fprintf(env.Stderr, "nixproc: warning: %v\n", err)
		}
	}()
	if err != nil {
		return 1, err
	}

	// Signals are caught before supervisord starts, so none is lost
	// between starting it and passing them on.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	cmd := exec.Command("supervisord", "--nodaemon", "-c", p.File(ConfFile))
	cmd.Stdout, cmd.Stderr = env.Stdout, env.Stderr
	if err := cmd.Start(); err != nil {
		return 1, fmt.Errorf("starting supervisord: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			ctx = context.WithoutCancel(ctx)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ee.ExitCode() < 0 {
					return 1, fmt.Errorf("supervisord: %v", err)
				}
				return ee.ExitCode(), nil
			}
			if err != nil {
				return 1, fmt.Errorf("supervisord: %w", err)
			}
			return 0, nil
		}
	}
}
