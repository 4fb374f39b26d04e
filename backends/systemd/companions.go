package systemd

import (
	"os"
	"path/filepath"
	"strings"

	"nixproc/backends"
)

// companionKinds are the units that may activate a process's service in
// its place, in order of precedence: a socket starts it on the first
// connection, a timer when it is due. A model adds them next to the
// service (postInstall writes nix-process-<name>.socket, as the proxy
// example does).
var companionKinds = []string{".socket", ".timer"}

// companions returns the socket and timer units a profile has for a
// process, in order of precedence.
func companions(p *backends.Profile, name string) []string {
	if p == nil || p.Path == "" {
		return nil
	}
	base := strings.TrimSuffix(UnitName(name), ".service")
	var out []string
	for _, kind := range companionKinds {
		if _, err := os.Stat(p.File(filepath.Join(unitDirRel, base+kind))); err == nil {
			out = append(out, base+kind)
		}
	}
	return out
}

// processUnits returns every unit of a process in a profile: its service
// and its companions.
func processUnits(p *backends.Profile, name string) []string {
	return append([]string{UnitName(name)}, companions(p, name)...)
}

// activationUnit is the unit that is started for a process: its socket or
// its timer when it has one (which then starts the service), else its
// service.
func activationUnit(p *backends.Profile, name string) string {
	if c := companions(p, name); len(c) > 0 {
		return c[0]
	}
	return UnitName(name)
}
