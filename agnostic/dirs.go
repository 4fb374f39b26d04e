package agnostic

import "path/filepath"

// Dirs are the state directories of a deployment. An empty field is not set;
// Resolved fills in the defaults the original framework uses.
type Dirs struct {
	StateDir   string `json:"stateDir,omitempty"`
	RuntimeDir string `json:"runtimeDir,omitempty"`
	LogDir     string `json:"logDir,omitempty"`
	TmpDir     string `json:"tmpDir,omitempty"`
	CacheDir   string `json:"cacheDir,omitempty"`
	SpoolDir   string `json:"spoolDir,omitempty"`
	LockDir    string `json:"lockDir,omitempty"`
	LibDir     string `json:"libDir,omitempty"`
}

// Resolved returns the directories with every default applied: state /var,
// the others below it, and tmp /tmp when the state directory is /var.
func (d Dirs) Resolved() Dirs {
	if d.StateDir == "" {
		d.StateDir = "/var"
	}
	under := func(v *string, name string) {
		if *v == "" {
			*v = filepath.Join(d.StateDir, name)
		}
	}
	under(&d.RuntimeDir, "run")
	under(&d.LogDir, "log")
	under(&d.CacheDir, "cache")
	under(&d.SpoolDir, "spool")
	under(&d.LockDir, "lock")
	under(&d.LibDir, "lib")
	if d.TmpDir == "" {
		if d.StateDir == "/var" {
			d.TmpDir = "/tmp"
		} else {
			d.TmpDir = filepath.Join(d.StateDir, "tmp")
		}
	}
	return d
}

// Args returns the directories that are set, keyed by the name of the
// processes model argument they are passed as.
func (d Dirs) Args() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{
		"stateDir": d.StateDir, "runtimeDir": d.RuntimeDir, "logDir": d.LogDir,
		"tmpDir": d.TmpDir, "cacheDir": d.CacheDir, "spoolDir": d.SpoolDir,
		"lockDir": d.LockDir, "libDir": d.LibDir,
	} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
