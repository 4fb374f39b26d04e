package backends

import (
	"nixproc/agnostic"
	"nixproc/usermgmt"
)

// CredentialFiles returns the dysnomia-support files of a process's
// credentials, by path under dysnomia-support (groups/<name>,
// users/<name>). When user changes are disabled there are no groups, and
// only the users that want a home directory, which then only get one made.
// Build writes them for every profile; a backend whose components carry
// their own credentials (disnix) writes them there too.
func CredentialFiles(c agnostic.Credentials, forceDisableUserChange bool) map[string][]byte {
	out := map[string][]byte{}
	if !forceDisableUserChange {
		for name, props := range c.Groups {
			out["groups/"+name] = usermgmt.Format(props)
		}
	}
	for name, props := range c.Users {
		if forceDisableUserChange {
			if props["createHomeDir"] != "1" {
				continue
			}
			props = map[string]string{"homeDir": props["homeDir"], "createHomeDir": "1", "createHomeDirOnly": "1"}
		}
		out["users/"+name] = usermgmt.Format(props)
	}
	return out
}
