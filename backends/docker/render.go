package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
	"nixproc/imagebuild"
	"nixproc/shellquote"
)

// ProxyPath is where the foreground proxy is in an image.
const ProxyPath = "/nixproc/foreground-proxy"

// systemPath is the PATH of a container unless the model sets one: the
// process's path packages first, then the usual directories (host programs
// are copied to where the host has them).
const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// proxyPrograms are what a foreground proxy runs (templates/fgproxy.sh).
var proxyPrograms = []string{"bash", "env", "id", "rm", "sleep"}

// initializePrograms are the host programs an image gets when the process
// has an initialize script, as the original put coreutils, sed and grep on
// its PATH: enough to make directories and set owners. Others can be added
// with hostPrograms.
var initializePrograms = []string{"sh", "basename", "cat", "chgrp", "chmod", "chown", "cp", "dirname", "grep", "ln", "ls", "mkdir", "mktemp", "mv", "rm", "rmdir", "sed", "touch"}

// ImageSpec is <name>-docker-image.json: everything the deployer needs to
// write a process's image, which it does when the container is created
// (so that users get the IDs they have on the host by then).
type ImageSpec struct {
	Name   string            `json:"name"`
	Config imagebuild.Config `json:"config"`
	// StorePaths are the roots of the store closure the image holds.
	StorePaths []string `json:"storePaths,omitempty"`
	// HostPrograms and HostFiles are copied from the host.
	HostPrograms []string `json:"hostPrograms,omitempty"`
	HostFiles    []string `json:"hostFiles,omitempty"`
	// Files are files of the profile copied into the image.
	Files []ImageFile `json:"files,omitempty"`
	// Users and groups of the image, as the credentials declare them; their
	// IDs are the host's when the host has them.
	Users  map[string]map[string]string `json:"users,omitempty"`
	Groups map[string]map[string]string `json:"groups,omitempty"`
}

// ImageFile is a file of the profile that goes into the image.
type ImageFile struct {
	Path   string `json:"path"`
	Source string `json:"source"` // relative to the profile
	Mode   string `json:"mode"`   // octal
}

// Render writes, for every process, the files of its container, named as
// the original names them: <NN>-<name>-docker-priority (the start order),
// <name>-docker-settings, <name>-docker-createparams, and
// <name>-docker-image.json (and <name>-foregroundproxy.sh) to write the
// image from.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	prio := priorities(procs)
	width := 2
	for _, n := range prio {
		if d := len(strconv.Itoa(n)); d > width {
			width = d
		}
	}
	for _, t := range procs {
		p := t.Params.(*Params)
		if err := renderContainer(ctx, t.Process, p, prio[p.Name], width, w); err != nil {
			return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()}
		}
	}
	return nil
}

// priorities number processes as the original: 1 without dependencies,
// else one more than the highest number among them.
func priorities(procs []backends.Translated) map[string]int {
	prio := map[string]int{}
	for _, t := range procs { // activation order: dependencies come first
		p := t.Params.(*Params)
		n := 1
		for _, d := range p.Dependencies {
			if prio[d]+1 > n {
				n = prio[d] + 1
			}
		}
		prio[p.Name] = n
	}
	return prio
}

func renderContainer(ctx *backends.Context, proc *agnostic.Process, p *Params, prio, width int, w *backends.ProfileWriter) error {
	name := p.Name
	files := map[string][]byte{}
	ref := string(p.DockerImageTag)
	if p.DockerImage == "" {
		spec, proxy, err := imageSpec(ctx, proc, p)
		if err != nil {
			return err
		}
		data, err := json.MarshalIndent(spec, "", "  ")
		if err != nil {
			return err
		}
		data = append(data, '\n')
		files[name+"-docker-image.json"] = data
		h := sha256.New()
		h.Write(data)
		if proxy != "" {
			files[name+"-foregroundproxy.sh"] = []byte(proxy)
			h.Write([]byte{0})
			h.Write([]byte(proxy))
		}
		if ref == "" {
			ref = spec.Name + ":" + hex.EncodeToString(h.Sum(nil))[:32]
		}
	}
	params, err := createParams(p)
	if err != nil {
		return err
	}
	settings := []string{
		"dockerContainerName=" + shellquote.Quote(ContainerName(name)),
		"dockerImage=" + shellquote.Quote(string(p.DockerImage)),
		"dockerImageTag=" + shellquote.Quote(ref),
		"dockerStopTimeout=" + strconv.Itoa(int(*p.DockerStopTimeout)),
	}
	files[name+"-docker-settings"] = []byte(strings.Join(settings, "\n") + "\n")
	files[name+"-docker-createparams"] = []byte(strings.Join(params, "\n") + "\n")
	files[fmt.Sprintf("%0*d-%s-docker-priority", width, prio, name)] = nil
	for _, rel := range agnostic.SortedKeys(files) {
		mode := 0o444
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o555
		}
		if err := w.WriteFile(name, rel, files[rel], fsMode(mode)); err != nil {
			return err
		}
	}
	return nil
}

// createParams are the options of docker create, but --name: the model's
// own first (as the original), then the host's Nix store (read-only), the
// host's network, the restart policy and the state directories.
func createParams(p *Params) ([]string, error) {
	out, err := p.createParameters()
	if err != nil {
		return nil, err
	}
	if p.hostNixStore() {
		out = append(out, "--volume", imagebuild.StoreDir+":"+imagebuild.StoreDir+":ro")
	}
	if p.hostNetwork() {
		out = append(out, "--network", "host")
	}
	out = append(out, "--restart", string(p.RestartPolicy))
	for _, d := range p.MapStateDirVolumes {
		out = append(out, "--volume", d+":"+d)
	}
	return out, nil
}

// imageSpec decides what the image holds and how the container runs, and
// renders the foreground proxy when one is needed.
func imageSpec(ctx *backends.Context, proc *agnostic.Process, p *Params) (*ImageSpec, string, error) {
	user := ctx.User(string(p.User))
	spec := &ImageSpec{
		Name:   imageName(p.Name),
		Config: imagebuild.Config{Labels: map[string]string{"nixproc.process": p.Name}},
	}
	env := map[string]string{}
	for k, v := range p.Environment {
		env[k] = v
	}
	if _, own := env["PATH"]; !own {
		var bins []string
		for _, pkg := range p.Path {
			bins = append(bins, pkg+"/bin")
		}
		env["PATH"] = strings.Join(append(bins, systemPath), ":")
	}
	for _, k := range agnostic.SortedKeys(env) {
		spec.Config.Env = append(spec.Config.Env, k+"="+env[k])
	}

	var programs []string
	proxy := ""
	switch {
	case len(p.Cmd) > 0:
		spec.Config.Cmd = p.Cmd
		programs = append(programs, hostExecutable(p.Cmd[0])...)
	case p.needsProxy():
		var err error
		proxy, err = fgproxy.Render(fgproxy.Spec{
			Name:       p.Name,
			Executable: string(p.Process),
			Args:       p.Args,
			Daemon:     p.isDaemon(),
			PIDFile:    string(p.PIDFile),
			Initialize: string(p.Initialize),
			Directory:  string(p.Directory),
			Umask:      string(p.Umask),
			Nice:       (*int)(p.Nice),
			User:       user,
		})
		if err != nil {
			return nil, "", err
		}
		spec.Config.Cmd = []string{ProxyPath}
		spec.Files = append(spec.Files, ImageFile{Path: ProxyPath, Source: p.Name + "-foregroundproxy.sh", Mode: "0555"})
		programs = append(programs, hostExecutable(string(p.Process))...)
		programs = append(programs, proxyPrograms...)
		if user != "" {
			programs = append(programs, "setpriv")
		}
		if p.Nice != nil {
			programs = append(programs, "nice")
		}
		if p.Initialize != "" {
			programs = append(programs, initializePrograms...)
		}
	default:
		spec.Config.Cmd = append([]string{string(p.Process)}, p.Args...)
		programs = append(programs, hostExecutable(string(p.Process))...)
	}
	if proxy == "" {
		spec.Config.User = user
		spec.Config.WorkingDir = string(p.Directory)
	}
	spec.HostPrograms = sortedUnique(append(programs, p.HostPrograms...))
	spec.HostFiles = sortedUnique(p.HostFiles)

	// Every store path the container's command, environment and proxy name
	// goes in with its closure, and so do the path packages.
	text := strings.Join(spec.Config.Cmd, "\n") + "\n" + strings.Join(spec.Config.Env, "\n") + "\n" + proxy
	roots := imagebuild.StorePaths(text)
	for i, sp := range p.StorePaths {
		found := imagebuild.StorePaths(sp)
		if len(found) != 1 || !strings.HasPrefix(sp, found[0]) {
			return nil, "", fmt.Errorf("storePaths[%d] %q is not a path in the Nix store", i, sp)
		}
		roots = append(roots, found[0])
	}
	spec.StorePaths = sortedUnique(roots)

	if !ctx.ForceDisableUserChange {
		spec.Users = proc.Credentials.Users
		spec.Groups = proc.Credentials.Groups
	}
	if _, declared := spec.Users[user]; user != "" && !declared {
		// A user of the host the credentials do not declare (nobody,
		// www-data): the image needs it in its /etc/passwd too.
		users := map[string]map[string]string{user: {}}
		for k, v := range spec.Users {
			users[k] = v
		}
		spec.Users = users
	}
	return spec, proxy, nil
}

// hostExecutable is the program, when it is not in the Nix store: the host
// has it, and the image gets a copy.
func hostExecutable(prog string) []string {
	if strings.HasPrefix(prog, imagebuild.StoreDir+"/") {
		return nil
	}
	return []string{prog}
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
