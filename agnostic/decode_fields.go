package agnostic

import "github.com/tidwall/gjson"

// pkgAttribute is an attribute of a pkg that decodePkg reads by name. They
// are found in one pass over the object: looking each up with Get would
// scan the object again for every attribute, and a map of every attribute
// costs a map per process; both add up for models of thousands of processes.
type pkgAttribute int

const (
	attrArgs pkgAttribute = iota
	attrCredentials
	attrDaemon
	attrDaemonArgs
	attrDaemonExtraArgs
	attrDependencies
	attrDescription
	attrDirectory
	attrEnvironment
	attrForegroundProcess
	attrForegroundProcessArgs
	attrForegroundProcessExtraArgs
	attrInitialize
	attrInstanceName
	attrLock
	attrName
	attrNice
	attrPath
	attrPidFile
	attrPostInstall
	attrProcess
	attrUmask
	attrUnlock
	attrUser
	numPkgAttributes
)

var pkgAttributeNames = [numPkgAttributes]string{
	attrArgs:                       "args",
	attrCredentials:                "credentials",
	attrDaemon:                     "daemon",
	attrDaemonArgs:                 "daemonArgs",
	attrDaemonExtraArgs:            "daemonExtraArgs",
	attrDependencies:               "dependencies",
	attrDescription:                "description",
	attrDirectory:                  "directory",
	attrEnvironment:                "environment",
	attrForegroundProcess:          "foregroundProcess",
	attrForegroundProcessArgs:      "foregroundProcessArgs",
	attrForegroundProcessExtraArgs: "foregroundProcessExtraArgs",
	attrInitialize:                 "initialize",
	attrInstanceName:               "instanceName",
	attrLock:                       "lock",
	attrName:                       "name",
	attrNice:                       "nice",
	attrPath:                       "path",
	attrPidFile:                    "pidFile",
	attrPostInstall:                "postInstall",
	attrProcess:                    "process",
	attrUmask:                      "umask",
	attrUnlock:                     "unlock",
	attrUser:                       "user",
}

func (a pkgAttribute) String() string { return pkgAttributeNames[a] }

var pkgAttributeByName = func() map[string]pkgAttribute {
	m := make(map[string]pkgAttribute, numPkgAttributes)
	for a, name := range pkgAttributeNames {
		m[name] = pkgAttribute(a)
	}
	return m
}()

// pkgFields holds what decoding reads of one pkg. A JSON model may repeat an
// attribute name; which occurrence counts is kept as it has always been: the
// last one of the pkgAttributes (as a map of them kept it), the first
// __nixproc and overrides (as gjson's Get finds them).
type pkgFields struct {
	kind, overrides gjson.Result
	attributes      [numPkgAttributes]gjson.Result
}

// index finds the fields of obj, a pkg.
func (f *pkgFields) index(obj gjson.Result) {
	obj.ForEach(func(k, v gjson.Result) bool {
		name := k.String()
		if a, ok := pkgAttributeByName[name]; ok {
			f.attributes[a] = v
		} else if name == "__nixproc" && !f.kind.Exists() {
			f.kind = v
		} else if name == "overrides" && !f.overrides.Exists() {
			f.overrides = v
		}
		return true
	})
}
