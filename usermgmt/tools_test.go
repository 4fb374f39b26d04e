package usermgmt_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/cmdrun"
	"nixproc/usermgmt"
)

func tools(t *testing.T, warnings *bytes.Buffer) *usermgmt.Tools {
	return &usermgmt.Tools{
		Manager:  &usermgmt.Manager{Runner: cmdrun.Exec{}},
		Registry: usermgmt.Registry{File: filepath.Join(t.TempDir(), "state", "accounts.json")},
		Warnings: warnings,
	}
}

// accountName is a name no other test (or package) uses at the same time.
func accountName(t *testing.T, tag string) string {
	n := fmt.Sprintf("npum%s%d", tag, os.Getpid()%100000)
	t.Cleanup(func() {
		_ = exec.Command("userdel", n).Run()
		_ = exec.Command("groupdel", n).Run()
	})
	return n
}

func TestReadSupport(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "dysnomia-support", "users"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dysnomia-support", "users", "web"), []byte("uid=2000\ndescription='Web server'\n"), 0o644))
	users, err := usermgmt.ReadSupport(dir, usermgmt.Users)
	require.NoError(t, err)
	assert.Equal(t, map[string]map[string]string{"web": {"uid": "2000", "description": "Web server"}}, users)
	groups, err := usermgmt.ReadSupport(dir, usermgmt.Groups)
	require.NoError(t, err)
	assert.Empty(t, groups, "no groups folder: no groups")

	one, err := usermgmt.ReadSupport(filepath.Join(dir, "dysnomia-support", "users", "web"), usermgmt.Users)
	require.NoError(t, err)
	assert.Equal(t, users, one, "a file is one account, named after it")

	_, err = usermgmt.ReadSupport(filepath.Join(dir, "missing"), usermgmt.Users)
	assert.EqualError(t, err, "the path "+filepath.Join(dir, "missing")+" is not valid: no such file or directory")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "dysnomia-support", "users", "bad"), []byte("password=$(cat /etc/secret)\n"), 0o644))
	_, err = usermgmt.ReadSupport(dir, usermgmt.Users)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "dysnomia-support", "users", "bad")+": line 1")
}

// createHomeDirOnly makes a home directory and no account, and deleting
// does nothing to it.
func TestCreateHomeDirOnly(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home", "web")
	tl := tools(t, nil)
	spec := map[string]map[string]string{"nixproc-no-such-user": {"homeDir": home, "createHomeDir": "1", "createHomeDirOnly": "1"}}
	created, err := tl.AddUsers(context.Background(), "/c", spec)
	require.NoError(t, err)
	assert.Empty(t, created)
	assert.DirExists(t, home)
	_, err = user.Lookup("nixproc-no-such-user")
	assert.Error(t, err, "no account")
	require.NoError(t, tl.DelUsers(context.Background(), "/c", spec))
	assert.DirExists(t, home)
}

// Accounts the tools create go when the last component declaring them
// does; accounts that existed before stay, with a warning when their ID is
// not the declared one.
func TestToolsRemoveOnlyWhatTheyCreatedWhenNoComponentNeedsIt(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "useradd", "groupadd", "userdel", "groupdel")
	ctx := context.Background()
	var warnings bytes.Buffer
	tl := tools(t, &warnings)
	group, existing, usr := accountName(t, "g"), accountName(t, "e"), accountName(t, "u")
	require.NoError(t, exec.Command("groupadd", existing).Run())
	g, err := user.LookupGroup(existing)
	require.NoError(t, err)
	other := strconv.Itoa(mustAtoi(t, g.Gid) + 1)

	home := filepath.Join(t.TempDir(), "home")
	groups := map[string]map[string]string{group: {}, existing: {"gid": other}}
	users := map[string]map[string]string{usr: {"group": group, "description": "nixproc test", "homeDir": home, "createHomeDir": "1"}}
	for _, holder := range []string{"/a", "/b"} {
		_, err := tl.AddGroups(ctx, holder, groups)
		require.NoError(t, err)
		_, err = tl.AddUsers(ctx, holder, users)
		require.NoError(t, err)
	}
	u, err := user.Lookup(usr)
	require.NoError(t, err)
	assert.Equal(t, home, u.HomeDir)
	assert.DirExists(t, home, "createHomeDir=1 makes the home directory")
	assert.Contains(t, warnings.String(), "group "+existing+" exists with GID "+g.Gid+", not the declared "+other+"; it is kept as it is")
	holders, ours, err := tl.Registry.Holders(usermgmt.Users, usr)
	require.NoError(t, err)
	assert.True(t, ours)
	assert.Equal(t, []string{"/a", "/b"}, holders)

	require.NoError(t, tl.DelUsers(ctx, "/a", users))
	require.NoError(t, tl.DelGroups(ctx, "/a", groups))
	_, err = user.Lookup(usr)
	assert.NoError(t, err, "/b still declares the user")
	_, err = user.LookupGroup(group)
	assert.NoError(t, err, "/b still declares the group")

	require.NoError(t, tl.DelUsers(ctx, "/b", users))
	require.NoError(t, tl.DelGroups(ctx, "/b", groups))
	_, err = user.Lookup(usr)
	assert.Error(t, err, "the last holder is gone: so is the user")
	_, err = user.LookupGroup(group)
	assert.Error(t, err, "and the group")
	_, err = user.LookupGroup(existing)
	assert.NoError(t, err, "an account that existed before is never removed")
	_, ours, err = tl.Registry.Holders(usermgmt.Groups, group)
	require.NoError(t, err)
	assert.False(t, ours, "forgotten once removed")
}

// Components activated at the same time create a shared account once.
func TestToolsConcurrentHolders(t *testing.T) {
	backendtest.RequireRoot(t)
	backendtest.Require(t, "groupadd", "groupdel")
	ctx := context.Background()
	tl := tools(t, nil)
	group := accountName(t, "c")
	spec := map[string]map[string]string{group: {}}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = tl.AddGroups(ctx, fmt.Sprintf("/c%d", i), spec)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	holders, _, err := tl.Registry.Holders(usermgmt.Groups, group)
	require.NoError(t, err)
	assert.Len(t, holders, 8)
	for i := range errs {
		require.NoError(t, tl.DelGroups(ctx, fmt.Sprintf("/c%d", i), spec))
	}
	_, err = user.LookupGroup(group)
	assert.Error(t, err)
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
