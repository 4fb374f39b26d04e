package s6rc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"nixproc/backends"
)

// Plain mode runs the longruns of a profile without s6-rc: every service
// that is not a logger becomes an s6 service directory under PlainDir, with
// its logger as the log subservice (s6-svscan then keeps the pipe between
// them), linked into the scan directory. Oneshots run their up and down
// scripts with execlineb; bundles need nothing, their contents are
// processes of their own.

// serviceFiles are the files of a source definition that s6-supervise
// reads; the others are s6-rc's.
var serviceFiles = []string{"run", "finish", "notification-fd", "lock-fd", "timeout-kill", "timeout-finish", "max-death-tally", "down-signal", "nosetsid", "data", "env"}

func (d *Deployer) plainStart(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	svcs, err := services(p, u.Name)
	if err != nil {
		return err
	}
	byName := map[string]service{}
	for _, s := range svcs {
		byName[s.Name] = s
	}
	for _, s := range svcs {
		if s.Type != Oneshot {
			continue
		}
		if _, err := d.run(ctx, "execlineb", "-P", p.File(filepath.Join(SourceDir, s.Name, "up"))); err != nil {
			return err
		}
	}
	timeout := strconv.Itoa(millis("NIXPROC_START_TIMEOUT", 10*time.Second))
	for _, s := range svcs {
		if s.Type != Longrun || s.Consumer {
			continue
		}
		dir := filepath.Join(d.l.PlainDir, s.Name)
		link := filepath.Join(d.l.ScanDir, s.Name)
		if _, err := os.Lstat(link); err == nil {
			// left over from an interrupted run: start afresh
			if _, err := d.run(ctx, "s6-svunlink", "-t", timeout, d.l.ScanDir, s.Name); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := serviceDir(p, s.Name, dir); err != nil {
			return err
		}
		if logger, ok := byName[s.ProducerFor]; ok && logger.Type == Longrun {
			if err := serviceDir(p, logger.Name, filepath.Join(dir, "log")); err != nil {
				return err
			}
		}
		// Linked down, so that it starts when asked, not when scanned.
		if err := os.WriteFile(filepath.Join(dir, "down"), nil, 0o644); err != nil {
			return err
		}
		if _, err := d.run(ctx, "s6-svlink", "-t", timeout, d.l.ScanDir, dir, s.Name); err != nil {
			return err
		}
		wait := "-uwu"
		if s.NotificationFd {
			wait = "-uwU"
		}
		if _, err := d.run(ctx, "s6-svc", wait, "-T", timeout, link); err != nil {
			return fmt.Errorf("%s did not come up: %w", s.Name, err)
		}
		// From now on a restarted supervision tree starts it too.
		os.Remove(filepath.Join(dir, "down"))
		if err := d.checkUp(ctx, u.Name, s.Name); err != nil {
			return err
		}
	}
	return nil
}

func (d *Deployer) plainStop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	svcs, err := services(p, u.Name)
	if err != nil {
		return err
	}
	timeout := strconv.Itoa(millis("NIXPROC_STOP_TIMEOUT", 10*time.Second))
	for i := len(svcs) - 1; i >= 0; i-- {
		s := svcs[i]
		if s.Type != Longrun || s.Consumer {
			continue
		}
		link := filepath.Join(d.l.ScanDir, s.Name)
		if _, err := os.Lstat(link); err == nil {
			// s6-svunlink brings the service and its logger down and
			// waits for their supervisors to exit.
			if _, err := d.run(ctx, "s6-svunlink", "-t", timeout, d.l.ScanDir, s.Name); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(filepath.Join(d.l.PlainDir, s.Name)); err != nil {
			return err
		}
	}
	for i := len(svcs) - 1; i >= 0; i-- {
		s := svcs[i]
		if s.Type != Oneshot {
			continue
		}
		down := p.File(filepath.Join(SourceDir, s.Name, "down"))
		if _, err := os.Stat(down); err != nil {
			continue
		}
		if _, err := d.run(ctx, "execlineb", "-P", down); err != nil {
			return err
		}
	}
	return nil
}

// serviceDir makes an s6 service directory from a source definition: links
// to the files s6-supervise reads, in a directory of its own where
// s6-supervise keeps its state.
func serviceDir(p *backends.Profile, svc, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	src := p.File(filepath.Join(SourceDir, svc))
	for _, f := range serviceFiles {
		if _, err := os.Stat(filepath.Join(src, f)); err != nil {
			continue
		}
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}
