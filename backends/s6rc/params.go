package s6rc

import (
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"

	"nixproc/agnostic"
)

// Service types of s6-rc, as the __s6rc marker of the Nix create functions
// names them.
const (
	Longrun = "longrun"
	Oneshot = "oneshot"
	Bundle  = "bundle"
)

// Params are the parameters of createLongRunService, createOneShotService
// and createServiceBundle (the original's names, so overrides and
// s6-rc-specific models carry over unchanged), with the service type in
// __s6rc. Script parameters hold a file path or the script's text.
type Params struct {
	Kind string `json:"__nixproc,omitempty"`
	Type string `json:"__s6rc,omitempty"`
	Name string `json:"name"`

	FlagEssential bool     `json:"flagEssential,omitempty"`
	Dependencies  []string `json:"dependencies,omitempty"`

	// longrun
	Run                    agnostic.String  `json:"run,omitempty"`
	Finish                 agnostic.String  `json:"finish,omitempty"`
	NotificationFd         *agnostic.Int    `json:"notificationFd,omitempty"`
	TimeoutKill            *agnostic.Int    `json:"timeoutKill,omitempty"`
	TimeoutFinish          *agnostic.Int    `json:"timeoutFinish,omitempty"`
	Nosetsid               bool             `json:"nosetsid,omitempty"`
	MaxDeathTally          *agnostic.Int    `json:"maxDeathTally,omitempty"`
	DownSignal             agnostic.String  `json:"downSignal,omitempty"`
	Data                   agnostic.String  `json:"data,omitempty"`
	Env                    *Env             `json:"env,omitempty"`
	ProducerFor            agnostic.String  `json:"producerFor,omitempty"`
	ConsumerFor            agnostic.Strings `json:"consumerFor,omitempty"`
	PipelineName           agnostic.String  `json:"pipelineName,omitempty"`
	AutoGenerateLogService *bool            `json:"autoGenerateLogService,omitempty"`
	// ForegroundProxy is a nixproc extension: the text of a foreground
	// proxy written to data/foreground-proxy, which the run script of a
	// daemon-only process execs.
	ForegroundProxy agnostic.String `json:"foregroundProxy,omitempty"`

	// oneshot
	Up   agnostic.String `json:"up,omitempty"`
	Down agnostic.String `json:"down,omitempty"`

	// bundle
	Contents agnostic.Strings `json:"contents,omitempty"`

	// Handled by the pipeline for every backend; accepted here so that an
	// s6-rc-specific spec decodes strictly.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}

// Env is the env parameter of a longrun: the directory of environment files
// to copy (the original's form), or, as nixproc generates it, an attribute
// set of values written one file per variable.
type Env struct {
	Dir    string
	Values map[string]string
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *Env) UnmarshalJSON(b []byte) error {
	r := gjson.ParseBytes(b)
	switch {
	case r.Type == gjson.String:
		*e = Env{Dir: r.String()}
		return nil
	case r.IsObject():
		var m agnostic.StringMap
		if err := m.UnmarshalJSON(b); err != nil {
			return err
		}
		*e = Env{Values: m}
		return nil
	}
	return fmt.Errorf("env must be a directory or an attribute set of values, got %s", string(b))
}

// MarshalJSON implements json.Marshaler.
func (e Env) MarshalJSON() ([]byte, error) {
	if e.Dir != "" {
		return json.Marshal(e.Dir)
	}
	if e.Values == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(e.Values)
}

// autoLog tells whether a longrun gets a logging companion (the default).
func (p *Params) autoLog() bool {
	return p.Type == Longrun && (p.AutoGenerateLogService == nil || *p.AutoGenerateLogService)
}

// serviceNames returns the s6-rc names a process takes: with a logger, a
// bundle named after the process holding <name>-srv and <name>-log.
func (p *Params) serviceNames() []string {
	if p.autoLog() {
		return []string{p.Name, p.Name + "-srv", p.Name + "-log"}
	}
	return []string{p.Name}
}

// mainService is the service that runs the process itself.
func (p *Params) mainService() string {
	if p.autoLog() {
		return p.Name + "-srv"
	}
	return p.Name
}
