package launchd

import (
	"strings"

	"howett.net/plist"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/backends/fgproxy"
)

// systemPath follows the path packages on PATH: launchd's own default, so
// the system's tools stay reachable (the original replaced it).
const systemPath = "/usr/bin:/bin:/usr/sbin:/sbin"

// plistDirRel is where plists live in a profile, as in the original.
const plistDirRel = "Library/LaunchDaemons"

func plistRel(label string) string { return plistDirRel + "/" + label + ".plist" }

// Render writes Library/LaunchDaemons/<label>.plist for every process, and
// its foreground proxy when it has one.
func (Backend) Render(ctx *backends.Context, procs []backends.Translated, w *backends.ProfileWriter) error {
	for _, t := range procs {
		p := t.Params.(*Params)
		fail := func(err error) error { return &agnostic.FieldError{Process: t.Process.Key, Msg: err.Error()} }
		label := p.label()
		if p.Proxy != nil {
			pr := p.Proxy
			spec := fgproxy.Spec{
				Name: p.Name, Executable: pr.Executable, Args: pr.Args, Daemon: pr.Daemon,
				PIDFile: pr.PIDFile, Initialize: pr.Initialize, Directory: pr.Directory,
				User: ctx.User(pr.User),
			}
			if err := fgproxy.Write(w, p.Name, proxyRel(label), spec); err != nil {
				return fail(err)
			}
		}
		data, err := plist.MarshalIndent(p.plistKeys(ctx), plist.XMLFormat, "\t")
		if err != nil {
			return fail(err)
		}
		if err := w.WriteFile(p.Name, plistRel(label), append(data, '\n'), 0o444); err != nil {
			return err
		}
	}
	return nil
}

// plistKeys is the property list: the keys, with PATH made of the path
// packages followed by launchd's default, unless the environment sets it.
func (p *Params) plistKeys(ctx *backends.Context) map[string]any {
	keys := map[string]any{}
	for k, v := range p.Keys {
		keys[k] = v
	}
	if ctx.ForceDisableUserChange {
		delete(keys, "UserName")
		delete(keys, "GroupName")
	}
	env := map[string]any{}
	if e, ok := keys["EnvironmentVariables"].(map[string]any); ok {
		for k, v := range e {
			env[k] = v
		}
	}
	if _, own := env["PATH"]; !own && len(p.Path) > 0 {
		bins := make([]string, len(p.Path))
		for i, pkg := range p.Path {
			bins[i] = pkg + "/bin"
		}
		env["PATH"] = strings.Join(bins, ":") + ":" + systemPath
	}
	if len(env) > 0 {
		keys["EnvironmentVariables"] = env
	}
	return keys
}
