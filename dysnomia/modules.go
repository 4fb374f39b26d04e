package dysnomia

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"nixproc/backends"
	_ "nixproc/backends/all" // every module needs its backend
	"nixproc/backends/disnix"
	"nixproc/backends/s6rc"
	"nixproc/backends/supervisord"
	"nixproc/backends/systemd"
	"nixproc/cmdrun"
	"nixproc/shellquote"
)

// processTypes maps a process manager to the module that deploys its
// configurations, as derive-dysnomia-process-type.nix does in Nix.
var processTypes = map[string]string{
	"sysvinit":    "sysvinit-script",
	"systemd":     "systemd-unit",
	"supervisord": "supervisord-program",
	"bsdrc":       "bsdrc-script",
	"cygrunsrv":   "cygrunsrv-service",
	"launchd":     "launchd-daemon",
	"disnix":      "process",
	"docker":      "docker-container",
	"s6-rc":       "s6-rc-service",
}

// TypeFor is the Dysnomia type (module) of a process manager's
// configurations; "" (Nix's null) is managed-process, which takes agnostic
// ones. An unknown process manager gives "".
func TypeFor(pm string) string {
	if pm == "" {
		return "managed-process"
	}
	return processTypes[pm]
}

func init() {
	register(&pmModule{
		name: "sysvinit-script", pm: "sysvinit",
		plain: plainSysvinit,
		hints: func(inv *Invocation, p *backends.Profile) []string {
			var out []string
			for _, pp := range p.Meta.Processes {
				out = append(out, fmt.Sprintf("%s status  # is %s running?", shellquote.Quote(p.File("etc/rc.d/init.d/"+pp.Name)), pp.Name))
			}
			return out
		},
	})
	register(&pmModule{
		name: "systemd-unit", pm: "systemd", hooks: true,
		aliases: map[string]string{"systemdTargetDir": systemd.OptionUnitDir, "systemdUserServices": systemd.OptionUser},
		hints: func(inv *Invocation, p *backends.Profile) []string {
			var out []string
			for _, pp := range p.Meta.Processes {
				out = append(out, fmt.Sprintf("systemctl status %s  # is %s running?", systemd.UnitName(pp.Name), pp.Name))
			}
			return out
		},
	})
	register(&pmModule{
		name: "supervisord-program", pm: "supervisord",
		afterDeactivate: supervisordShutdownWhenEmpty,
		hints: func(inv *Invocation, p *backends.Profile) []string {
			return []string{"supervisorctl -c " + shellquote.Quote(filepath.Join(supervisord.Home(p.Meta.Dirs), "supervisorctl.conf")) + " status  # the programs supervisord runs"}
		},
	})
	register(&pmModule{
		// s6-rc keeps one compiled database of every service, which
		// components that come and go on their own cannot share: they are
		// supervised with plain s6 on the deployment's s6-svscan instead.
		name: "s6-rc-service", pm: "s6-rc", hooks: true,
		fixed: map[string]string{s6rc.ModeOption: s6rc.ModePlain},
		hints: func(inv *Invocation, p *backends.Profile) []string {
			return []string{"s6-svstat " + shellquote.Quote(filepath.Join(s6rc.LayoutFor(p.Meta.Dirs).ScanDir, "SERVICE")) + "  # the state of a service"}
		},
	})
	register(&pmModule{
		name: "launchd-daemon", pm: "launchd", hooks: true,
		aliases: map[string]string{"launchdTargetDir": "plist-dir"},
	})
	register(&pmModule{name: "bsdrc-script", pm: "bsdrc"})
	register(&pmModule{name: "cygrunsrv-service", pm: "cygrunsrv"})
	register(&pmModule{name: "docker-container", pm: "docker", hooks: true})
	register(&pmModule{
		name: "process", pm: "disnix",
		// The process module's semantics, never disnix-env: Disnix is the
		// one running this module.
		fixed: map[string]string{disnix.ModeOption: disnix.ModeBuiltin},
		plain: plainProcess,
	})
	register(managedModule{})
	register(wrapperModule{})
	register(echoModule{})
}

// plainSysvinit opens a component in the original layout:
// etc/rc.d/init.d/<script> and start links in etc/rc.d/rc<runlevel>.d.
func plainSysvinit(inv *Invocation) (*backends.Profile, func(), error) {
	entries, err := os.ReadDir(filepath.Join(inv.Component, "etc/rc.d/init.d"))
	if err != nil || len(entries) == 0 {
		return nil, nil, fmt.Errorf("the component has no etc/rc.d/init.d scripts and is no profile built by nixproc")
	}
	p := &backends.Profile{Path: inv.Component, Meta: backends.ProfileMeta{ProcessManager: "sysvinit", Dirs: dirsFromProps(inv.Props)}}
	for _, e := range entries {
		p.Meta.Processes = append(p.Meta.Processes, backends.ProfileProcess{Name: e.Name()})
	}
	return p, func() {}, nil
}

// plainProcess opens a component in the original process layout: a
// specification per process in etc/dysnomia/process/ (process= the program
// that starts the daemon, pidFile= its PID file, by default
// <runtimeDir>/<program>.pid), or else exactly one executable in bin/. It
// is presented to the disnix backend's deployer as a profile of its own
// components (a temporary directory of links), so that both kinds of
// component start and stop with the same code.
func plainProcess(inv *Invocation) (*backends.Profile, func(), error) {
	type spec struct{ name, file, text string }
	var specs []spec
	specDir := filepath.Join(inv.Component, "etc/dysnomia/process")
	entries, _ := os.ReadDir(specDir)
	for _, e := range entries {
		if !e.IsDir() {
			specs = append(specs, spec{name: e.Name(), file: filepath.Join(specDir, e.Name())})
		}
	}
	if len(specs) == 0 {
		bins, _ := os.ReadDir(filepath.Join(inv.Component, "bin"))
		var exes []string
		for _, e := range bins {
			if st, err := os.Stat(filepath.Join(inv.Component, "bin", e.Name())); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				exes = append(exes, e.Name())
			}
		}
		switch len(exes) {
		case 0:
			return nil, nil, fmt.Errorf("no process found: the component needs one executable in bin/ or a specification in etc/dysnomia/process/")
		case 1:
			exe := filepath.Join(inv.Component, "bin", exes[0])
			specs = append(specs, spec{name: exes[0], text: "process=" + shellquote.Quote(exe) + "\n"})
		default:
			return nil, nil, fmt.Errorf("more than one executable in bin/ (%s): name the one to start in etc/dysnomia/process/", strings.Join(exes, ", "))
		}
	}
	view, err := os.MkdirTemp("", "nixproc-dysnomia-process-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(view) }
	p := &backends.Profile{Path: view, Meta: backends.ProfileMeta{
		ProcessManager: "disnix",
		Dirs:           dirsFromProps(Props{"runtimeDir": inv.Props.Get("runtimeDir", "/var/run")}),
	}}
	for _, s := range specs {
		link := filepath.Join(view, disnix.SpecFile(s.name))
		err := os.MkdirAll(filepath.Dir(link), 0o755)
		if err == nil && s.file != "" {
			err = os.Symlink(s.file, link)
		} else if err == nil {
			err = os.WriteFile(link, []byte(s.text), 0o444)
		}
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		p.Meta.Processes = append(p.Meta.Processes, backends.ProfileProcess{Name: s.name})
	}
	return p, cleanup, nil
}

var supervisorStatus = regexp.MustCompile(`(?m)^\S+\s+(STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b`)

// supervisordShutdownWhenEmpty stops the deployment's supervisord once the
// last program is gone, as a switch to an empty profile does, so that
// deactivating the last component leaves nothing running.
func supervisordShutdownWhenEmpty(ctx context.Context, inv *Invocation, dep backends.Deployer, p *backends.Profile) error {
	conf := filepath.Join(supervisord.Home(p.Meta.Dirs), "supervisorctl.conf")
	if _, err := os.Stat(conf); err != nil {
		return nil
	}
	c, err := net.DialTimeout("unix", supervisord.SocketPath(p.Meta.Dirs), 2*time.Second)
	if err != nil {
		return nil // not running
	}
	c.Close()
	out, err := inv.Runner.Run(ctx, cmdrun.Cmd{Path: "supervisorctl", Args: []string{"-c", conf, "status"}})
	text := string(out)
	if ce, ok := err.(*cmdrun.Error); ok {
		text = ce.Output
	}
	if supervisorStatus.MatchString(text) {
		return nil // other components' programs run
	}
	h, ok := dep.(backends.SwitchHooks)
	if !ok {
		return nil
	}
	return h.AfterStart(ctx, p, &backends.Profile{Meta: backends.ProfileMeta{ProcessManager: "supervisord", Dirs: p.Meta.Dirs}})
}
