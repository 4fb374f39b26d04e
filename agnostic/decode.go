package agnostic

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// FunctionOverrideMarker is what the evaluator puts in place of a function
// override, which JSON cannot carry.
const FunctionOverrideMarker = "__nixprocFunctionOverride"

// DecodeProcesses reads an evaluated processes model: a JSON object whose
// attributes are process entries, each with a pkg made by createManagedProcess
// or by a process manager-specific create function. Defaults are applied and
// the result is validated.
func DecodeProcesses(data []byte) (*Model, error) {
	if !gjson.ValidBytes(data) {
		return nil, fmt.Errorf("the processes model is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return nil, fmt.Errorf("the processes model must be an attribute set of processes, got %s", kindOf(root))
	}
	var procs []*Process
	var err error
	root.ForEach(func(key, entry gjson.Result) bool {
		var p *Process
		p, err = decodeEntry(key.String(), entry)
		if err != nil {
			return false
		}
		procs = append(procs, p)
		return true
	})
	if err != nil {
		return nil, err
	}
	return NewModel(procs)
}

// DecodeConfig reads one process-manager-agnostic JSON config (what
// createManagedProcess yields, as nixproc-build writes it per process).
func DecodeConfig(data []byte) (*Process, error) {
	if !gjson.ValidBytes(data) {
		return nil, fmt.Errorf("the configuration is not valid JSON")
	}
	pkg := gjson.ParseBytes(data)
	if !pkg.IsObject() {
		return nil, fmt.Errorf("the configuration must be a JSON object, got %s", kindOf(pkg))
	}
	key := pkg.Get("name").String()
	if key == "" {
		key = pkg.Get("instanceName").String()
	}
	return decodePkg(key, pkg)
}

func decodeEntry(key string, entry gjson.Result) (*Process, error) {
	if !entry.IsObject() {
		return nil, fieldErr(key, "", "must be an attribute set with a pkg attribute, got %s", kindOf(entry))
	}
	// One pass finds pkg (the first one, as a lookup would) and the other
	// attributes (the last of each name, as a map keeps it).
	var pkg gjson.Result
	var attrs map[string]json.RawMessage
	entry.ForEach(func(k, v gjson.Result) bool {
		name := k.String()
		switch {
		case name != "pkg":
			if attrs == nil {
				attrs = map[string]json.RawMessage{}
			}
			attrs[name] = json.RawMessage(v.Raw)
		case !pkg.Exists():
			pkg = v
		}
		return true
	})
	if !pkg.Exists() {
		return nil, fieldErr(key, "pkg", "missing: every process needs a pkg made by createManagedProcess or a create function")
	}
	p, err := decodePkg(key, pkg)
	if err != nil {
		return nil, err
	}
	p.Attributes = attrs
	return p, nil
}

func decodePkg(key string, pkg gjson.Result) (*Process, error) {
	if pkg.Type == gjson.String {
		return nil, fieldErr(key, "pkg", "is a store path (%s), not a nixproc process: build it with nixproc's createManagedProcess or create functions", pkg.String())
	}
	if !pkg.IsObject() {
		return nil, fieldErr(key, "pkg", "must be made by createManagedProcess, got %s", kindOf(pkg))
	}
	d := &decoder{key: key}
	d.fields.index(pkg)
	p := &Process{Key: key, Kind: d.fields.kind.String()}
	if p.Kind == "" {
		p.Kind = KindManagedProcess
	}
	p.Name = d.str(attrName)
	if p.Name == "" {
		p.Name = d.str(attrInstanceName)
	}
	p.InstanceName = d.str(attrInstanceName)
	p.Description = d.str(attrDescription)
	if p.Description == "" {
		p.Description = p.Name
	}
	p.Dependencies = d.strList(attrDependencies)
	p.Credentials = d.credentials(attrCredentials)
	if p.Kind != KindManagedProcess {
		p.Native = json.RawMessage(pkg.Raw)
		p.User = d.str(attrUser)
		p.PIDFile = d.str(attrPidFile)
		return p, d.err
	}

	p.Initialize = d.str(attrInitialize)
	process := d.str(attrProcess)
	args := d.strList(attrArgs)
	// An attribute given as null is not the same as one not given: daemon
	// = null makes a process foreground-only, as in the original.
	p.Daemon = process
	if d.given(attrDaemon) {
		p.Daemon = d.str(attrDaemon)
	}
	if d.has(attrDaemonArgs) {
		p.DaemonArgs = d.strList(attrDaemonArgs)
	} else {
		p.DaemonArgs = append(append([]string{}, args...), d.strList(attrDaemonExtraArgs)...)
	}
	p.ForegroundProcess = process
	if d.given(attrForegroundProcess) {
		p.ForegroundProcess = d.str(attrForegroundProcess)
	}
	if d.has(attrForegroundProcessArgs) {
		p.ForegroundProcessArgs = d.strList(attrForegroundProcessArgs)
	} else {
		p.ForegroundProcessArgs = append(append([]string{}, args...), d.strList(attrForegroundProcessExtraArgs)...)
	}
	p.PIDFile = d.str(attrPidFile)
	p.Path = d.strList(attrPath)
	p.Environment = d.strMap(attrEnvironment)
	p.Directory = d.str(attrDirectory)
	p.Umask = d.str(attrUmask)
	p.Nice = d.int(attrNice)
	p.User = d.str(attrUser)
	p.PostInstall = d.str(attrPostInstall)
	p.Lock = d.str(attrLock)
	p.Unlock = d.str(attrUnlock)
	if o := d.fields.overrides; o.Exists() && o.Type != gjson.Null {
		if !o.IsObject() {
			return nil, fieldErr(key, "overrides", "must be an attribute set of process manager names, got %s", kindOf(o))
		}
		p.Overrides = map[string]json.RawMessage{}
		o.ForEach(func(k, v gjson.Result) bool {
			p.Overrides[k.String()] = json.RawMessage(v.Raw)
			return true
		})
	}
	return p, d.err
}

// decoder reads fields of one pkg, keeping the first error. The fields it
// reads are found in one pass over the object (see decode_fields.go).
type decoder struct {
	key    string
	fields pkgFields
	err    error
}

func (d *decoder) get(a pkgAttribute) gjson.Result { return d.fields.attributes[a] }

func (d *decoder) fail(field, format string, args ...any) {
	if d.err == nil {
		d.err = fieldErr(d.key, field, format, args...)
	}
}

// given tells whether the model passed the attribute at all, null included.
func (d *decoder) given(a pkgAttribute) bool { return d.get(a).Exists() }

func (d *decoder) has(a pkgAttribute) bool {
	v := d.get(a)
	return v.Exists() && v.Type != gjson.Null
}

func (d *decoder) str(a pkgAttribute) string {
	field, v := a.String(), d.get(a)
	s, err := NixToString(v)
	if err != nil {
		d.fail(field, "%v", err)
	}
	return s
}

func (d *decoder) int(a pkgAttribute) *int {
	field, v := a.String(), d.get(a)
	switch v.Type {
	case gjson.Null:
		return nil
	case gjson.Number:
		n := int(v.Int())
		if float64(n) != v.Float() {
			d.fail(field, "must be a whole number, got %s", v.Raw)
		}
		return &n
	case gjson.String:
		n, err := strconv.Atoi(strings.TrimSpace(v.String()))
		if err != nil {
			d.fail(field, "must be a whole number, got %q", v.String())
			return nil
		}
		return &n
	default:
		d.fail(field, "must be a whole number, got %s", kindOf(v))
		return nil
	}
}

func (d *decoder) strList(a pkgAttribute) []string {
	field, v := a.String(), d.get(a)
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsArray() {
		d.fail(field, "must be a list, got %s", kindOf(v))
		return nil
	}
	var out []string
	v.ForEach(func(_, e gjson.Result) bool {
		s, err := NixToString(e)
		if err != nil {
			d.fail(fmt.Sprintf("%s[%d]", field, len(out)), "%v", err)
		}
		out = append(out, s)
		return true
	})
	return out
}

func (d *decoder) strMap(a pkgAttribute) map[string]string {
	return d.valueMap(a.String(), d.get(a))
}

func (d *decoder) valueMap(field string, v gjson.Result) map[string]string {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		d.fail(field, "must be an attribute set, got %s", kindOf(v))
		return nil
	}
	out := map[string]string{}
	v.ForEach(func(k, e gjson.Result) bool {
		s, err := NixToString(e)
		if err != nil {
			d.fail(field+"."+k.String(), "%v", err)
		}
		out[k.String()] = s
		return true
	})
	return out
}

func (d *decoder) credentials(a pkgAttribute) Credentials {
	field, v := a.String(), d.get(a)
	var c Credentials
	if v.Type == gjson.Null {
		return c
	}
	if !v.IsObject() {
		d.fail(field, "must be an attribute set with groups and users, got %s", kindOf(v))
		return c
	}
	var groups, users gjson.Result
	v.ForEach(func(k, e gjson.Result) bool {
		switch k.String() {
		case "groups":
			groups = e
		case "users":
			users = e
		}
		return true
	})
	c.Groups = d.entities(field+".groups", groups)
	c.Users = d.entities(field+".users", users)
	return c
}

func (d *decoder) entities(field string, v gjson.Result) map[string]map[string]string {
	if v.Type == gjson.Null {
		return nil
	}
	if !v.IsObject() {
		d.fail(field, "must be an attribute set, got %s", kindOf(v))
		return nil
	}
	out := map[string]map[string]string{}
	v.ForEach(func(name, spec gjson.Result) bool {
		out[name.String()] = d.valueMap(field+"."+name.String(), spec)
		return true
	})
	return out
}

// NixToString renders a JSON value the way Nix's toString does: numbers in
// decimal, true as "1", false and null as "", lists joined by spaces. A
// string with a NUL byte is an error.
func NixToString(v gjson.Result) (string, error) {
	switch v.Type {
	case gjson.Null, gjson.False:
		return "", nil
	case gjson.True:
		return "1", nil
	case gjson.String:
		// Nix strings cannot hold a NUL byte, but a JSON model can; no
		// argument, environment value or generated file can carry one, so
		// it is refused here, once, for every backend.
		if strings.IndexByte(v.String(), 0) >= 0 {
			return "", fmt.Errorf("contains a NUL byte, which no process argument, environment value or generated file can carry")
		}
		return v.String(), nil
	case gjson.Number:
		return v.Raw, nil
	}
	if v.IsArray() {
		parts := []string{}
		for _, e := range v.Array() {
			s, err := NixToString(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	}
	if op := v.Get("outPath"); op.Type == gjson.String {
		return op.String(), nil
	}
	return "", fmt.Errorf("an attribute set cannot be turned into a string")
}

func kindOf(v gjson.Result) string {
	switch {
	case v.IsObject():
		return "an attribute set"
	case v.IsArray():
		return "a list"
	case v.Type == gjson.String:
		return "a string"
	case v.Type == gjson.Number:
		return "a number"
	case v.Type == gjson.True || v.Type == gjson.False:
		return "a Boolean"
	default:
		return "null"
	}
}
