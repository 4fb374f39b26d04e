package docker

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/imagebuild"
)

// Params are createDockerContainer's parameters: the original's container
// parameters under their names, and what nixproc needs to write the image
// the original built with dockerTools (the program and how it runs).
type Params struct {
	Kind         string          `json:"__nixproc,omitempty"`
	Name         string          `json:"name"`
	InstanceName agnostic.String `json:"instanceName,omitempty"`
	Description  agnostic.String `json:"description,omitempty"`

	// The program. Process runs in the foreground unless ProcessIsDaemon;
	// a daemon, and a process that needs initialize, umask or nice, runs
	// through a foreground proxy inside the container.
	Process         agnostic.String    `json:"process,omitempty"`
	Args            agnostic.Strings   `json:"args,omitempty"`
	ProcessIsDaemon *bool              `json:"processIsDaemon,omitempty"`
	PIDFile         agnostic.String    `json:"pidFile,omitempty"`
	Initialize      agnostic.String    `json:"initialize,omitempty"`
	Directory       agnostic.String    `json:"directory,omitempty"`
	Umask           agnostic.String    `json:"umask,omitempty"`
	Nice            *agnostic.Int      `json:"nice,omitempty"`
	User            agnostic.String    `json:"user,omitempty"`
	Path            agnostic.Strings   `json:"path,omitempty"`
	Environment     agnostic.StringMap `json:"environment,omitempty"`
	// Cmd, when set, is the container's command as it is: process and the
	// settings above that need a proxy are not used.
	Cmd agnostic.Strings `json:"cmd,omitempty"`

	// The container.
	// DockerImage is a docker-archive tarball to load instead of the image
	// nixproc writes; DockerImageTag then names the image it holds.
	DockerImage    agnostic.String `json:"dockerImage,omitempty"`
	DockerImageTag agnostic.String `json:"dockerImageTag,omitempty"`
	// DockerCreateParameters are further docker create options: a list of
	// {name; value?} or an attribute set of name = value (true: a flag).
	DockerCreateParameters json.RawMessage `json:"dockerCreateParameters,omitempty"`
	// UseHostNixStore mounts the host's /nix/store, read-only (default
	// true); UseHostNetwork gives the container the host's network (default
	// true).
	UseHostNixStore *bool `json:"useHostNixStore,omitempty"`
	UseHostNetwork  *bool `json:"useHostNetwork,omitempty"`
	// MapStateDirVolumes are host directories mounted at the same place
	// (default: the state directory, and the other state directories that
	// are outside it, but the system's /tmp).
	MapStateDirVolumes agnostic.Strings `json:"mapStateDirVolumes,omitempty"`
	// RestartPolicy is docker create's --restart (default unless-stopped).
	RestartPolicy agnostic.String `json:"restartPolicy,omitempty"`
	// DockerStopTimeout is how long docker stop waits before it kills
	// (seconds, default 15: longer than a proxy waits for its daemon).
	DockerStopTimeout *agnostic.Int `json:"dockerStopTimeout,omitempty"`

	// The image: store paths beyond those the process refers to, host
	// programs (with their libraries) and host files to copy into it.
	StorePaths   agnostic.Strings `json:"storePaths,omitempty"`
	HostPrograms agnostic.Strings `json:"hostPrograms,omitempty"`
	HostFiles    agnostic.Strings `json:"hostFiles,omitempty"`

	Dependencies []string `json:"dependencies,omitempty"`
	// Handled by the pipeline for every backend; accepted here so that a
	// docker-specific spec decodes strictly.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	PostInstall agnostic.String `json:"postInstall,omitempty"`
}

// Defaults.
const (
	DefaultRestartPolicy = "unless-stopped"
	DefaultStopTimeout   = 15
	// ContainerPrefix starts the name of every container (and image) the
	// backend makes, so they never clash with anybody else's.
	ContainerPrefix = "nixproc-"
)

func (p *Params) isDaemon() bool     { return p.ProcessIsDaemon != nil && *p.ProcessIsDaemon }
func (p *Params) hostNixStore() bool { return p.UseHostNixStore == nil || *p.UseHostNixStore }
func (p *Params) hostNetwork() bool  { return p.UseHostNetwork == nil || *p.UseHostNetwork }

// needsProxy tells whether the program runs through a foreground proxy:
// a container engine starts a foreground program as a given user, in a
// given directory, but it cannot wait for a daemon, run initialize first,
// or set the umask or niceness.
func (p *Params) needsProxy() bool {
	return len(p.Cmd) == 0 && (p.isDaemon() || p.Initialize != "" || p.Umask != "" || p.Nice != nil)
}

// ContainerName is the name of a process's container.
func ContainerName(process string) string { return ContainerPrefix + process }

// imageName is the repository of a process's image.
func imageName(process string) string { return ContainerPrefix + strings.ToLower(process) }

var (
	containerNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	octal           = regexp.MustCompile(`^0?[0-7]{1,3}$`)
	restartRe       = regexp.MustCompile(`^(no|always|unless-stopped|on-failure(:[0-9]+)?)$`)
	optionRe        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
)

// normalize applies createDockerContainer's defaults and checks the result.
func (p *Params) normalize(ctx *backends.Context) error {
	if p.Name == "" {
		p.Name = string(p.InstanceName)
	}
	if p.Name == "" {
		return fmt.Errorf("name: no process name was specified or can be inferred")
	}
	if p.RestartPolicy == "" {
		p.RestartPolicy = DefaultRestartPolicy
	}
	if p.DockerStopTimeout == nil {
		t := agnostic.Int(DefaultStopTimeout)
		p.DockerStopTimeout = &t
	}
	if p.MapStateDirVolumes == nil {
		p.MapStateDirVolumes = stateVolumes(ctx.Dirs)
	}
	if p.isDaemon() && p.PIDFile == "" {
		return fmt.Errorf("pidFile: a daemon needs a PID file to be found by")
	}
	return p.check()
}

// stateVolumes are the directories a container gets from the host: the
// state directory, and every other state directory outside it, but the
// system's /tmp (a container has a /tmp of its own).
func stateVolumes(dirs agnostic.Dirs) []string {
	d := dirs.Resolved()
	out := []string{d.StateDir}
	for _, dir := range []string{d.RuntimeDir, d.LogDir, d.TmpDir, d.CacheDir, d.SpoolDir, d.LockDir, d.LibDir} {
		if dir == "/tmp" || under(dir, out) {
			continue
		}
		out = append(out, dir)
	}
	return out
}

func under(dir string, parents []string) bool {
	for _, p := range parents {
		if dir == p || strings.HasPrefix(dir, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

func (p *Params) check() error {
	if !containerNameRe.MatchString(ContainerName(p.Name)) {
		return fmt.Errorf("name %q cannot name a container (letters, digits, _ . -)", p.Name)
	}
	if err := imagebuild.CheckName(imageName(p.Name), ""); err != nil {
		return fmt.Errorf("name %q cannot name an image: %v", p.Name, err)
	}
	switch {
	case p.DockerImage != "":
		if set := p.setFields(imageFields); len(set) > 0 {
			return fmt.Errorf("dockerImage: a loaded image runs as it is made; %s cannot be set with it", strings.Join(set, ", "))
		}
	case len(p.Cmd) > 0:
		if set := p.setFields(proxyFields); len(set) > 0 {
			return fmt.Errorf("cmd: %s need the foreground proxy, which cmd replaces (make them part of cmd's program)", strings.Join(set, ", "))
		}
		if !path.IsAbs(p.Cmd[0]) {
			return fmt.Errorf("cmd: the program %q must be an absolute path", p.Cmd[0])
		}
	default:
		if p.Process == "" {
			return fmt.Errorf("process: nothing to run (set process or cmd)")
		}
		if !path.IsAbs(string(p.Process)) {
			return fmt.Errorf("process %q must be an absolute path", p.Process)
		}
	}
	if p.Umask != "" && !octal.MatchString(string(p.Umask)) {
		return fmt.Errorf("umask %q is not an octal mask", p.Umask)
	}
	if p.Nice != nil && (*p.Nice < -20 || *p.Nice > 19) {
		return fmt.Errorf("nice %d is not between -20 and 19", *p.Nice)
	}
	if p.Directory != "" && !path.IsAbs(string(p.Directory)) {
		return fmt.Errorf("directory %q must be an absolute path", p.Directory)
	}
	if !restartRe.MatchString(string(p.RestartPolicy)) {
		return fmt.Errorf("restartPolicy %q is not one of no, always, unless-stopped, on-failure[:N]", p.RestartPolicy)
	}
	if *p.DockerStopTimeout < 0 {
		return fmt.Errorf("dockerStopTimeout %d cannot be negative", *p.DockerStopTimeout)
	}
	if p.DockerImage != "" && !path.IsAbs(string(p.DockerImage)) {
		return fmt.Errorf("dockerImage %q must be an absolute path", p.DockerImage)
	}
	if p.DockerImage != "" && p.DockerImageTag == "" {
		return fmt.Errorf("dockerImage: a loaded image needs dockerImageTag to say which image of it to run")
	}
	if p.DockerImageTag != "" {
		name, tag, _ := strings.Cut(string(p.DockerImageTag), ":")
		if err := imagebuild.CheckName(name, tag); err != nil {
			return fmt.Errorf("dockerImageTag: %v", err)
		}
	}
	for i, v := range p.MapStateDirVolumes {
		if !path.IsAbs(v) || strings.ContainsAny(v, ":,\n\x00") {
			return fmt.Errorf("mapStateDirVolumes[%d] %q must be an absolute path without : , or newlines", i, v)
		}
	}
	for i, v := range p.HostFiles {
		if !path.IsAbs(v) {
			return fmt.Errorf("hostFiles[%d] %q must be an absolute path", i, v)
		}
	}
	for i, v := range p.Path {
		if strings.ContainsAny(v, ":\x00") {
			return fmt.Errorf("path[%d] %q cannot be put on PATH (it contains a colon)", i, v)
		}
	}
	if _, err := p.createParameters(); err != nil {
		return err
	}
	fields := map[string]string{"process": string(p.Process), "pidFile": string(p.PIDFile), "directory": string(p.Directory),
		"user": string(p.User), "initialize": string(p.Initialize)}
	for _, f := range agnostic.SortedKeys(fields) {
		if strings.IndexByte(fields[f], 0) >= 0 {
			return fmt.Errorf("%s contains a NUL byte, which no container can carry", f)
		}
	}
	for i, a := range append(append([]string{}, p.Args...), p.Cmd...) {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("args[%d] contains a NUL byte, which no process argument can carry", i)
		}
	}
	for _, k := range agnostic.SortedKeys(p.Environment) {
		if strings.ContainsAny(k, "=\x00") || k == "" {
			return fmt.Errorf("environment variable name %q is not valid", k)
		}
		if strings.IndexByte(p.Environment[k], 0) >= 0 {
			return fmt.Errorf("environment.%s contains a NUL byte, which no environment value can carry", k)
		}
	}
	return nil
}

// proxyFields are what only the foreground proxy does; imageFields are
// what goes into an image nixproc writes.
var (
	proxyFields = []string{"initialize", "umask", "nice"}
	imageFields = []string{"process", "cmd", "initialize", "umask", "nice", "directory", "user", "path", "environment", "storePaths", "hostPrograms", "hostFiles"}
)

// setFields returns which of the fields are set.
func (p *Params) setFields(fields []string) []string {
	set := map[string]bool{
		"process": p.Process != "", "cmd": len(p.Cmd) > 0, "initialize": p.Initialize != "",
		"umask": p.Umask != "", "nice": p.Nice != nil, "directory": p.Directory != "", "user": p.User != "",
		"path": len(p.Path) > 0, "environment": len(p.Environment) > 0, "storePaths": len(p.StorePaths) > 0,
		"hostPrograms": len(p.HostPrograms) > 0, "hostFiles": len(p.HostFiles) > 0,
	}
	var out []string
	for _, f := range fields {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// reservedOptions are docker create options the backend sets itself.
var reservedOptions = map[string]string{"name": "the container is named " + ContainerPrefix + "<name>"}

// createParameters turns dockerCreateParameters into docker create
// arguments: --name (-n for one letter), then the value if there is one.
func (p *Params) createParameters() ([]string, error) {
	raw := strings.TrimSpace(string(p.DockerCreateParameters))
	if raw == "" || raw == "null" {
		return nil, nil
	}
	type param struct {
		name  string
		value *string
	}
	var params []param
	toValue := func(name string, v any) (*string, bool, error) {
		switch x := v.(type) {
		case nil:
			return nil, true, nil
		case bool:
			return nil, x, nil
		case string:
			return &x, true, nil
		case float64:
			s := strconv.FormatFloat(x, 'f', -1, 64)
			return &s, true, nil
		}
		return nil, false, fmt.Errorf("dockerCreateParameters: %s: the value must be a string, a number or a Boolean", name)
	}
	var list []map[string]any
	var set map[string]any
	switch {
	case json.Unmarshal([]byte(raw), &list) == nil:
		for i, item := range list {
			name, ok := item["name"].(string)
			if !ok {
				return nil, fmt.Errorf("dockerCreateParameters[%d]: needs a name", i)
			}
			for k := range item {
				if k != "name" && k != "value" {
					return nil, fmt.Errorf("dockerCreateParameters[%d]: unknown attribute %s (only name and value)", i, k)
				}
			}
			v, use, err := toValue(name, item["value"])
			if err != nil {
				return nil, err
			}
			if use {
				params = append(params, param{name, v})
			}
		}
	case json.Unmarshal([]byte(raw), &set) == nil:
		names := make([]string, 0, len(set))
		for k := range set {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			v, use, err := toValue(name, set[name])
			if err != nil {
				return nil, err
			}
			if use {
				params = append(params, param{name, v})
			}
		}
	default:
		return nil, fmt.Errorf("dockerCreateParameters: must be a list of {name; value;} or an attribute set")
	}
	var out []string
	for _, pr := range params {
		if !optionRe.MatchString(pr.name) {
			return nil, fmt.Errorf("dockerCreateParameters: %q is not an option name", pr.name)
		}
		if why, ok := reservedOptions[pr.name]; ok {
			return nil, fmt.Errorf("dockerCreateParameters: %s cannot be set (%s)", pr.name, why)
		}
		if len(pr.name) == 1 {
			out = append(out, "-"+pr.name)
		} else {
			out = append(out, "--"+pr.name)
		}
		if pr.value != nil {
			if strings.ContainsAny(*pr.value, "\n\x00") {
				return nil, fmt.Errorf("dockerCreateParameters: %s: the value cannot contain a newline", pr.name)
			}
			out = append(out, *pr.value)
		}
	}
	return out, nil
}
