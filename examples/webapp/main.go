// Command webapp is the test web application of the nixproc examples: it
// serves one small HTML page, naming its instance and port, on every path.
//
// It can run in the foreground (the default) or, with -D, as a traditional
// daemon, so that one process can be managed by process managers that prefer
// foreground processes (supervisord, systemd, s6) and by those that start
// daemons (sysvinit, bsdrc).
//
// Configuration comes from the environment, as the process models set it:
//
//	PORT           TCP port to listen on (required)
//	PID_FILE       file to write the PID of the serving process to (optional)
//	INSTANCE_NAME  name shown on the page (default: PID_FILE's base name
//	               without ".pid", else "webapp")
//
// In daemon mode the starting process only exits once the daemon listens
// and has written its PID file, or exits non-zero with the daemon's error,
// so that an init script sees a failed start.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// config is everything the webapp reads from its environment.
type config struct {
	port         int
	pidFile      string
	instanceName string
}

func main() {
	flags := flag.NewFlagSet("webapp", flag.ContinueOnError)
	daemonMode := flags.Bool("D", false, "run as a daemon: detach, and exit once the daemon serves")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() > 0 {
		fail(fmt.Errorf("unexpected argument %q", flags.Arg(0)))
	}

	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fail(err)
	}

	switch {
	case isDaemonChild():
		err = runDaemonChild(cfg)
	case *daemonMode:
		err = daemonize()
	default:
		err = runForeground(cfg)
	}
	if err != nil {
		fail(err)
	}
}

// fail prints one line saying what went wrong and exits with status 1.
func fail(err error) {
	fmt.Fprintf(os.Stderr, "webapp: %v\n", err)
	os.Exit(1)
}

// configFromEnv validates the environment; getenv is os.Getenv outside tests.
func configFromEnv(getenv func(string) string) (config, error) {
	portValue := getenv("PORT")
	if portValue == "" {
		return config{}, fmt.Errorf("the PORT environment variable must specify the TCP port to listen on")
	}
	port, err := strconv.Atoi(portValue)
	if err != nil || port < 1 || port > 65535 {
		return config{}, fmt.Errorf("PORT must be a TCP port number between 1 and 65535, not %q", portValue)
	}

	cfg := config{port: port, pidFile: getenv("PID_FILE")}
	if cfg.pidFile != "" && !filepath.IsAbs(cfg.pidFile) {
		// A daemon changes its working directory to /, so a relative path
		// would silently point somewhere else than the caller meant.
		return config{}, fmt.Errorf("PID_FILE must be an absolute path, not %q", cfg.pidFile)
	}
	cfg.instanceName = instanceName(getenv("INSTANCE_NAME"), cfg.pidFile)
	return cfg, nil
}

// instanceName picks the name the page shows.
func instanceName(explicit, pidFile string) string {
	if explicit != "" {
		return explicit
	}
	if pidFile != "" {
		if name := strings.TrimSuffix(filepath.Base(pidFile), ".pid"); name != "" {
			return name
		}
	}
	return "webapp"
}
