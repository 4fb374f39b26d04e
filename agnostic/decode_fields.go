package agnostic

import "github.com/tidwall/gjson"

// pkgAttributes are the attributes of a pkg that decodePkg reads by name.
// They are found in one pass over the object: looking each up with Get would
// scan the object again for every attribute, and a map of every attribute
// costs a map per process; both add up for models of thousands of processes.
var pkgAttributes = [...]string{
	"args", "credentials", "daemon", "daemonArgs", "daemonExtraArgs",
	"dependencies", "description", "directory", "environment",
	"foregroundProcess", "foregroundProcessArgs", "foregroundProcessExtraArgs",
	"initialize", "instanceName", "lock", "name", "nice", "path", "pidFile",
	"postInstall", "process", "umask", "unlock", "user",
}

var pkgAttributeIndex = func() map[string]int {
	m := make(map[string]int, len(pkgAttributes))
	for i, name := range pkgAttributes {
		m[name] = i
	}
	return m
}()

// pkgFields holds what decoding reads of one pkg. A JSON model may repeat an
// attribute name; which occurrence counts is kept as it has always been: the
// last one of the pkgAttributes (as a map of them kept it), the first
// __nixproc and overrides (as gjson's Get finds them).
type pkgFields struct {
	kind, overrides gjson.Result
	attributes      [len(pkgAttributes)]gjson.Result
}

// index finds the fields of obj, a pkg.
func (f *pkgFields) index(obj gjson.Result) {
	obj.ForEach(func(k, v gjson.Result) bool {
		name := k.String()
		if i, ok := pkgAttributeIndex[name]; ok {
			f.attributes[i] = v
		} else if name == "__nixproc" && !f.kind.Exists() {
			f.kind = v
		} else if name == "overrides" && !f.overrides.Exists() {
			f.overrides = v
		}
		return true
	})
}

// attribute returns the value of one of the pkgAttributes.
func (f *pkgFields) attribute(name string) gjson.Result {
	i, ok := pkgAttributeIndex[name]
	if !ok {
		panic("agnostic: " + name + " is read from a pkg but missing from pkgAttributes")
	}
	return f.attributes[i]
}
