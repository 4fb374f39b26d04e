package dysnomia

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"nixproc/cmdrun"
	"nixproc/shellquote"
)

// Request is one run of the dysnomia command.
type Request struct {
	Operation string
	Component string
	// Container is a container file (a path starting with / or ./, or a
	// name looked up in DYSNOMIA_CONTAINERS_PATH).
	Container string
	// Type picks the module when the container has no type, and with
	// UseEnvironment.
	Type string
	// UseEnvironment takes the container's properties from the
	// environment instead of a file.
	UseEnvironment bool
	// Shell spawns a shell with the container's properties after running
	// the module's shell activity; Command, when set, runs in it instead of
	// an interactive session.
	Shell   bool
	Command string

	Environ []string // the caller's environment (os.Environ())
	Runner  cmdrun.Runner
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

func (r *Request) getenv(key string) string {
	for i := len(r.Environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(r.Environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// searchPath splits a colon-separated path variable, with a default.
func (r *Request) searchPath(env, def string) []string {
	v := r.getenv(env)
	if v == "" {
		v = def
	}
	var out []string
	for _, d := range strings.Split(v, ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

func isPathRef(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../")
}

// Container is a parsed container file.
type Container struct {
	File  string
	Type  string
	Props Props // without type
}

// LoadContainer reads a container file; its type is mandatory.
func LoadContainer(file string) (*Container, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("container %s: %v", file, unwrap(err))
	}
	props, err := ParseProperties(data)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", file, err)
	}
	c := &Container{File: file, Type: props["type"], Props: props}
	delete(props, "type")
	return c, nil
}

// Execute runs the dysnomia command: it finds the container, the component
// and the module, and runs the operation (or the shell).
func Execute(ctx context.Context, r *Request) error {
	op := r.Operation
	if r.Shell {
		op = "shell"
	}
	if op == "" {
		return fmt.Errorf("no operation specified (--operation)")
	}
	if r.Runner == nil {
		r.Runner = cmdrun.Exec{}
	}
	var props Props
	typ := r.Type
	container := r.Container
	switch {
	case r.UseEnvironment:
		props = PropsFromEnviron(r.Environ)
		if typ == "" {
			return fmt.Errorf("--environment needs --type")
		}
		if container == "" {
			container = typ
		}
	case container != "":
		file := container
		if !isPathRef(container) {
			file = ""
			for _, dir := range r.searchPath("DYSNOMIA_CONTAINERS_PATH", "/etc/dysnomia/containers") {
				if st, err := os.Stat(filepath.Join(dir, container)); err == nil && st.Mode().IsRegular() {
					file = filepath.Join(dir, container)
					break
				}
			}
			if file == "" {
				return fmt.Errorf("no container configuration found for %s (in $DYSNOMIA_CONTAINERS_PATH: %s)", container, strings.Join(r.searchPath("DYSNOMIA_CONTAINERS_PATH", "/etc/dysnomia/containers"), ":"))
			}
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return err
		}
		c, err := LoadContainer(abs)
		if err != nil {
			return err
		}
		props = c.Props
		if c.Type != "" {
			typ = c.Type
		}
		if typ == "" {
			return fmt.Errorf("container %s: no type specified (type=<module>)", file)
		}
		container = abs
	default:
		return fmt.Errorf("no container file or environment specified (--container FILE or --environment --type TYPE)")
	}

	component, err := r.findComponent(container)
	if err != nil {
		return err
	}
	state := r.getenv("DYSNOMIA_STATEDIR")
	if state == "" {
		state = StateDir(Props{})
	}
	props["PATH"] = r.getenv("PATH")
	props["DYSNOMIA_STATEDIR"] = state

	external, builtin, err := r.findModule(typ)
	if err != nil {
		return err
	}
	run := func(activity string) error {
		if external != "" {
			return r.runExternal(ctx, external, activity, component, container, props)
		}
		return RunModule(ctx, builtin, &Invocation{
			Activity: activity, Component: component, Container: container, Props: props,
			Runner: r.Runner, Stdout: r.Stdout, Stderr: r.Stderr,
		})
	}
	if op != "shell" || !r.Shell {
		return run(op)
	}
	if err := run("shell"); err != nil {
		return err
	}
	module := external
	if module == "" {
		module = builtin
	}
	return r.spawnShell(ctx, module, component, container, props)
}

// findComponent resolves the component: a path, or a name looked up as
// <dir>/<container name>/<name> in DYSNOMIA_COMPONENTS_PATH.
func (r *Request) findComponent(container string) (string, error) {
	c := r.Component
	if c == "" {
		return "", fmt.Errorf("no component specified (--component)")
	}
	if isPathRef(c) {
		abs, err := filepath.Abs(c)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("component %s: %v", c, unwrap(err))
		}
		return abs, nil
	}
	dirs := r.searchPath("DYSNOMIA_COMPONENTS_PATH", "/etc/dysnomia/components")
	for _, dir := range dirs {
		f := filepath.Join(dir, filepath.Base(container), c)
		if _, err := os.Stat(f); err == nil {
			return filepath.Abs(f)
		}
	}
	return "", fmt.Errorf("no component configuration found for %s (in $DYSNOMIA_COMPONENTS_PATH: %s)", c, strings.Join(dirs, ":"))
}

// findModule finds the module of a type: a path to a module (or to a package
// holding one in libexec/dysnomia), an executable in DYSNOMIA_MODULES_PATH,
// or a module of this package.
func (r *Request) findModule(typ string) (external, builtin string, err error) {
	if isPathRef(typ) {
		st, err := os.Stat(typ)
		if err != nil {
			return "", "", fmt.Errorf("module %s cannot be found", typ)
		}
		if !st.IsDir() {
			return typ, "", nil
		}
		found, _ := filepath.Glob(filepath.Join(typ, "libexec/dysnomia/*"))
		if len(found) != 1 {
			return "", "", fmt.Errorf("module %s: expected one module in libexec/dysnomia, found %d", typ, len(found))
		}
		return found[0], "", nil
	}
	for _, dir := range r.searchPath("DYSNOMIA_MODULES_PATH", ":") {
		f := filepath.Join(dir, typ)
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return f, "", nil
		}
	}
	if _, ok := LookupModule(typ); ok {
		return "", typ, nil
	}
	return "", "", fmt.Errorf("module %s cannot be found (built in: %s)", typ, strings.Join(ModuleNames(), ", "))
}

// runExternal runs a module program with the container's properties as its
// environment: only those (and PATH and DYSNOMIA_STATEDIR), unless they
// come from the environment anyway.
func (r *Request) runExternal(ctx context.Context, module, activity, component, container string, props Props) error {
	cmd := exec.CommandContext(ctx, module, activity, component, container)
	if r.UseEnvironment {
		cmd.Env = append(append([]string{}, r.Environ...), "DYSNOMIA_STATEDIR="+props["DYSNOMIA_STATEDIR"])
	} else {
		cmd.Env = props.Environ()
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.Stdin, r.Stdout, r.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("module %s %s %s: %v", module, activity, ComponentName(component), err)
	}
	return nil
}

// spawnShell starts bash with the container's properties exported and the
// variables the original sets (this_dysnomia_module, this_component,
// this_container); with a command, bash runs it and exits.
func (r *Request) spawnShell(ctx context.Context, module, component, container string, props Props) error {
	var rc strings.Builder
	for _, k := range sortedKeys(props) {
		if propertyKey.MatchString(k) {
			fmt.Fprintf(&rc, "export %s=%s\n", k, shellquote.Quote(props[k]))
		}
	}
	fmt.Fprintf(&rc, "export this_dysnomia_module=%s\nexport this_component=%s\nexport this_container=%s\n",
		shellquote.Quote(module), shellquote.Quote(component), shellquote.Quote(container))
	var cmd *exec.Cmd
	if r.Command != "" {
		cmd = exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", rc.String()+r.Command)
	} else {
		fmt.Fprint(r.Stderr, "\nGeneral environment variables:\nthis_dysnomia_module     Path to the Dysnomia module\nthis_component           Path to the mutable component\nthis_container           Path to the container configuration file\n")
		f, err := os.CreateTemp("", "dysnomia-shell-rc-")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		fmt.Fprintf(f, "[ -e ~/.bashrc ] && . ~/.bashrc\nPS1='\\n[dysnomia-shell:\\w]\\$ '\n%s", rc.String())
		f.Close()
		cmd = exec.CommandContext(ctx, "bash", "--rcfile", f.Name(), "-i")
	}
	cmd.Env = r.Environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r.Stdin, r.Stdout, r.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return &ExitError{Code: ee.ExitCode()}
		}
		return err
	}
	return nil
}

// ExitError is a shell session that ended with a non-zero status.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("the shell exited with status %d", e.Code) }
