package docker

import (
	"errors"
	"os/user"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/cmdrun"
	"nixproc/imagebuild"
)

// The engines say "not there" in their own words; these are podman 4's
// and docker 28's, for containers and images.
func TestAbsentKnowsBothEnginesMessages(t *testing.T) {
	fail := func(out string) error {
		return &cmdrun.Error{Cmd: cmdrun.Cmd{Path: "docker"}, Output: out, Err: errors.New("exit status 1")}
	}
	for _, out := range []string{
		`Error: no container with name or ID "nixproc-x" found: no such container`,
		"Error: inspecting object: no such container nixproc-x",
		"Error response from daemon: No such container: nixproc-x",
	} {
		require.True(t, absent(fail(out), "no such container"), out)
		require.False(t, absent(fail(out), "no such image"), out)
	}
	for _, out := range []string{
		"Error: nixproc-x:0123: image not known",
		"Error response from daemon: No such image: nixproc-x:0123",
	} {
		require.True(t, absent(fail(out), "no such image"), out)
		require.False(t, absent(fail(out), "no such container"), out)
	}
	require.False(t, absent(fail("Cannot connect to the Docker daemon at unix:///var/run/docker.sock."), "no such container"))
}

// An image's users get the host's IDs when the host has the user (the
// switch creates them before containers start), else the credentials' IDs,
// else the first free ones from 1000.
func TestImageAccountsTakeTheHostsIDs(t *testing.T) {
	host, err := user.Lookup("root")
	require.NoError(t, err)
	spec := &ImageSpec{
		Users: map[string]map[string]string{
			"nixproc-absent-a": {"uid": "4000", "group": "nixproc-absent-g", "description": "A"},
			"nixproc-absent-b": {"group": "nixproc-absent-h"},
			"root":             {},
		},
		Groups: map[string]map[string]string{"nixproc-absent-g": {"gid": "4001"}, "nixproc-absent-h": {}},
	}
	users, groups, err := accounts(spec)
	require.NoError(t, err)
	require.Equal(t, "0", host.Uid)
	require.Equal(t, []imagebuild.User{
		imagebuild.BaseUsers[0],
		{Name: "nixproc-absent-b", UID: 1000, GID: 1000},
		{Name: "nixproc-absent-a", UID: 4000, GID: 4001, Gecos: "A"},
		imagebuild.BaseUsers[1],
	}, users)
	require.Equal(t, append(append([]imagebuild.Group{}, imagebuild.BaseGroups...),
		imagebuild.Group{Name: "nixproc-absent-g", GID: 4001}, imagebuild.Group{Name: "nixproc-absent-h", GID: 1000}), groups)

	_, _, err = accounts(&ImageSpec{Users: map[string]map[string]string{"nixproc-absent-c": {"group": "nixproc-absent-nowhere"}}})
	require.EqualError(t, err, "user nixproc-absent-c: its group nixproc-absent-nowhere is neither declared nor on the host")
}
