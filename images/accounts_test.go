package images

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/imagebuild"
)

func writeAccount(t *testing.T, profile, kind, name, text string) {
	t.Helper()
	dir := filepath.Join(profile, "dysnomia-support", kind)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o444))
}

func TestAccountsFromCredentials(t *testing.T) {
	profile := t.TempDir()
	writeAccount(t, profile, "groups", "webapp", "gid=2001\n")
	// IDs go to names in sorted order; a taken one gets the first free ID.
	writeAccount(t, profile, "groups", "zclash", "gid=2001\n")
	writeAccount(t, profile, "groups", "nogid", "")
	writeAccount(t, profile, "users", "webapp", "description=Webapp\ngroup=webapp\nuid=2001\n")
	writeAccount(t, profile, "users", "alone", "createHomeDir=1\nhomeDir=/home/alone\nshell=/bin/bash\n")
	writeAccount(t, profile, "users", "zsecond", "group=nogid\nuid=2001\n")

	users, groups, homes, err := accounts(profile)
	require.NoError(t, err)
	require.Equal(t, append(append([]imagebuild.User{}, imagebuild.BaseUsers...),
		imagebuild.User{Name: "alone", UID: 1000, GID: 1002, Home: "/home/alone", Shell: "/bin/bash"},
		imagebuild.User{Name: "webapp", UID: 2001, GID: 2001, Gecos: "Webapp", Home: "/dev/null"},
		imagebuild.User{Name: "zsecond", UID: 1001, GID: 1000, Home: "/dev/null"},
	), users)
	require.Equal(t, append(append([]imagebuild.Group{}, imagebuild.BaseGroups...),
		imagebuild.Group{Name: "webapp", GID: 2001},
		imagebuild.Group{Name: "nogid", GID: 1000},
		imagebuild.Group{Name: "zclash", GID: 1001},
		imagebuild.Group{Name: "alone", GID: 1002}, // a group of its own, as useradd makes
	), groups)
	require.Equal(t, []homeDir{{path: "/home/alone", uid: 1000, gid: 1002}}, homes)

	// The files are valid account files.
	tree := imagebuild.NewTree()
	require.NoError(t, imagebuild.AddAccounts(tree, users, groups))
	require.NoError(t, addHomes(tree, homes))
	require.Equal(t, 1000, tree.Lookup("/home/alone").UID)

	// With user changes disabled, only home directories are made.
	forced := t.TempDir()
	writeAccount(t, forced, "users", "webapp", "createHomeDir=1\ncreateHomeDirOnly=1\nhomeDir=/var/lib/webapp\n")
	users, groups, homes, err = accounts(forced)
	require.NoError(t, err)
	require.Equal(t, imagebuild.BaseUsers, users)
	require.Equal(t, imagebuild.BaseGroups, groups)
	require.Equal(t, []homeDir{{path: "/var/lib/webapp"}}, homes)

	bad := t.TempDir()
	writeAccount(t, bad, "users", "webapp", "group=missing\n")
	_, _, _, err = accounts(bad)
	require.EqualError(t, err, "user webapp: its group missing is not declared in the credentials")
	bad = t.TempDir()
	writeAccount(t, bad, "users", "webapp", "uid=abc\n")
	_, _, _, err = accounts(bad)
	require.EqualError(t, err, `user webapp: uid "abc" is not a number`)
}
