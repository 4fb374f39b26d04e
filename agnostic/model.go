package agnostic

import (
	"encoding/json"
	"sort"
)

// KindManagedProcess marks a process written with createManagedProcess; any
// other kind names the backend a process manager-specific spec is written
// for (createSystemVInitScript gives "sysvinit", and so on).
const KindManagedProcess = "managed-process"

// Process is one process of a model, with the defaults of createManagedProcess
// applied. Empty strings stand for the original's null.
type Process struct {
	// Key is the attribute name of the process in the processes model.
	Key  string `json:"key"`
	Kind string `json:"kind"`

	Name                  string            `json:"name"`
	Description           string            `json:"description"`
	InstanceName          string            `json:"instanceName,omitempty"`
	Initialize            string            `json:"initialize,omitempty"`
	Daemon                string            `json:"daemon,omitempty"`
	DaemonArgs            []string          `json:"daemonArgs"`
	ForegroundProcess     string            `json:"foregroundProcess,omitempty"`
	ForegroundProcessArgs []string          `json:"foregroundProcessArgs"`
	PIDFile               string            `json:"pidFile,omitempty"`
	Path                  []string          `json:"path,omitempty"`
	Environment           map[string]string `json:"environment,omitempty"`
	Directory             string            `json:"directory,omitempty"`
	Umask                 string            `json:"umask,omitempty"`
	Nice                  *int              `json:"nice,omitempty"`
	User                  string            `json:"user,omitempty"`
	Dependencies          []string          `json:"dependencies"`
	Credentials           Credentials       `json:"credentials"`
	PostInstall           string            `json:"postInstall,omitempty"`
	// Lock and Unlock are shell commands run before a switch touches the
	// process and after it is done (a nixproc extension).
	Lock   string `json:"lock,omitempty"`
	Unlock string `json:"unlock,omitempty"`

	// Overrides holds overrides.<processManager> as given: an attribute set
	// to deep-merge, or the marker of a function override.
	Overrides map[string]json.RawMessage `json:"overrides,omitempty"`
	// Native is the whole parameter set of a process manager-specific spec.
	Native json.RawMessage `json:"native,omitempty"`
	// Attributes are the other attributes of the process entry in the model
	// (port, dnsName, requiresUniqueIdsFor, ...).
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
}

// Credentials are the groups and users a process needs. Attribute values are
// kept as Nix's toString renders them.
type Credentials struct {
	Groups map[string]map[string]string `json:"groups,omitempty"`
	Users  map[string]map[string]string `json:"users,omitempty"`
}

// IsDaemon tells whether the process can run in daemon mode.
func (p *Process) IsDaemon() bool { return p.Daemon != "" }

// IsForeground tells whether the process can run in the foreground.
func (p *Process) IsForeground() bool { return p.ForegroundProcess != "" }

// EnvironmentKeys returns the environment variable names in sorted order.
func (p *Process) EnvironmentKeys() []string { return SortedKeys(p.Environment) }

// Model is a whole processes model: every process, validated, with a
// dependency order.
type Model struct {
	Processes []*Process `json:"processes"`
	byName    map[string]*Process
	order     []*Process
}

// Lookup finds a process by name.
func (m *Model) Lookup(name string) *Process { return m.byName[name] }

// Order returns the processes in activation order: every process after its
// dependencies, ties broken by dependency depth and then by name, so the
// order is stable.
func (m *Model) Order() []*Process { return m.order }

// SortedKeys returns the keys of a map in sorted order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
