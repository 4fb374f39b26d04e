package backends

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/cmdrun"
	"nixproc/usermgmt"
)

// Accounts with a fixed ID are created first: one created without could
// otherwise be given the next free ID, which another account asks for.
// System accounts take their IDs from the system range.
func TestAccountsWithFixedIDsAreCreatedFirst(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"groups/a-auto-nixproc-test":   "",
		"groups/z-fixed-nixproc-test":  "gid=2001\n",
		"users/a-auto-nixproc-test":    "group=a-auto-nixproc-test\n",
		"users/z-fixed-nixproc-test":   "uid=2001\n",
		"groups/m-system-nixproc-test": "system=1\n",
		"users/m-system-nixproc-test":  "group=m-system-nixproc-test\nsystem=1\n",
	}
	for rel, content := range files {
		p := filepath.Join(root, "dysnomia-support", rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o444))
	}
	rec := &cmdrun.Recorder{}
	_, err := createAccounts(context.Background(), &usermgmt.Manager{Runner: rec}, &Profile{Path: root})
	require.NoError(t, err)
	require.Equal(t, []string{
		"groupadd -g 2001 z-fixed-nixproc-test",
		"groupadd a-auto-nixproc-test",
		"groupadd -r m-system-nixproc-test", // a system account: IDs from the system range
		"useradd -d /dev/null -u 2001 -M z-fixed-nixproc-test",
		"useradd -d /dev/null -g a-auto-nixproc-test -M a-auto-nixproc-test",
		"useradd -d /dev/null -g m-system-nixproc-test -M -r m-system-nixproc-test",
	}, rec.Lines())
}
