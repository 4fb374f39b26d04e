package cygrunsrv

import (
	"os"
	"strings"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// systemPath follows the environment path packages on PATH (cygrunsrv puts
// /bin in front of it), so the system's tools stay reachable.
const systemPath = "/usr/local/bin:/usr/bin"

// Render writes nix-process-<name>-cygrunsrvparams for every process, and
// its foreground proxy when it has one.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	for _, t := range procs {
		p := t.Params.(*Params)
		fail := func(err error) error { return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()} }
		if pr := p.ForegroundProxy; pr != nil {
			spec := fgproxy.Spec{
				Name: p.Name, Executable: pr.Executable, Args: pr.Args, Daemon: pr.Daemon,
				PIDFile: pr.PIDFile, Initialize: pr.Initialize, Directory: pr.Directory,
				Umask: pr.Umask, Nice: pr.Nice,
			}
			if err := fgproxy.Write(w, p.Name, proxyRel(p.Name), spec); err != nil {
				return fail(err)
			}
		}
		lines, err := p.options()
		if err != nil {
			return fail(err)
		}
		// A password must not be readable by everyone.
		mode := os.FileMode(0o444)
		if p.Password != "" {
			mode = 0o400
		}
		if err := w.WriteFile(p.Name, paramsRel(p.Name), []byte(strings.Join(lines, "\n")+"\n"), mode); err != nil {
			return err
		}
	}
	return nil
}

// options are the cygrunsrv --install options of a service, one argument
// per element (and per line of the parameters file).
func (p *Params) options() ([]string, error) {
	out := []string{"-p", string(p.Path), "-d", string(p.DisplayName)}
	if p.Description != "" {
		out = append(out, "-f", string(p.Description))
	}
	if p.Type != "auto" {
		out = append(out, "-t", string(p.Type))
	}
	if len(p.Args) > 0 {
		words := make([]string, len(p.Args))
		for i, a := range p.Args {
			var err error
			if words[i], err = argWord(a); err != nil {
				return nil, err
			}
		}
		out = append(out, "-a", strings.Join(words, " "))
	}
	if p.Directory != "" {
		out = append(out, "-c", string(p.Directory))
	}
	env := map[string]string{}
	for k, v := range p.Environment {
		env[k] = v
	}
	if _, own := env["PATH"]; !own && len(p.EnvironmentPath) > 0 {
		bins := make([]string, len(p.EnvironmentPath))
		for i, pkg := range p.EnvironmentPath {
			bins[i] = pkg + "/bin"
		}
		env["PATH"] = strings.Join(bins, ":") + ":" + systemPath
	}
	for _, k := range agnostic.SortedKeys(env) {
		out = append(out, "-e", k+"="+env[k])
	}
	for _, o := range []struct{ flag, value string }{
		{"-u", string(p.User)}, {"-w", string(p.Password)},
		{"-0", string(p.Stdin)}, {"-1", string(p.Stdout)}, {"-2", string(p.Stderr)},
	} {
		if o.value != "" {
			out = append(out, o.flag, o.value)
		}
	}
	if sig := strings.TrimPrefix(string(p.TerminateSignal), "SIG"); sig != "" && sig != "TERM" {
		out = append(out, "-s", sig)
	}
	if p.TerminateOnShutdown {
		out = append(out, "-o")
	}
	for _, d := range p.Dependencies {
		out = append(out, "-y", ServiceName(d))
	}
	return out, nil
}
