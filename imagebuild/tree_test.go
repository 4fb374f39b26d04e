package imagebuild

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTreeMakesParentsAndRefusesConflicts(t *testing.T) {
	tr := NewTree()
	require.NoError(t, tr.File("/etc/app/conf", []byte("x"), 0o644))
	require.Equal(t, []string{"/etc", "/etc/app", "/etc/app/conf"}, tr.Paths())
	require.Equal(t, fs.FileMode(0o755), tr.Lookup("/etc").Mode, "an undeclared parent is 0755")

	// A declaration replaces an implicit parent; the same one twice is fine.
	require.NoError(t, tr.Dir("/etc", 0o700))
	require.NoError(t, tr.Dir("/etc", 0o700))
	require.Equal(t, fs.FileMode(0o700), tr.Lookup("/etc").Mode)
	require.NoError(t, tr.File("/etc/app/conf", []byte("x"), 0o644))

	err := tr.File("/etc/app/conf", []byte("y"), 0o644)
	require.EqualError(t, err, "image path /etc/app/conf: declared as a file and as a file (different content)")
	err = tr.Dir("/etc", 0o755)
	require.EqualError(t, err, "image path /etc: declared as a directory and as a directory (modes 0700 and 0755)")

	require.NoError(t, tr.Symlink("/bin", "usr/bin"))
	err = tr.File("/bin/sh", []byte("#!"), 0o755)
	require.EqualError(t, err, "image path /bin/sh: its parent /bin is a symbolic link, not a directory")

	require.EqualError(t, tr.File("relative", nil, 0o644), `image path "relative" must be absolute`)
	require.EqualError(t, tr.Chown("/nowhere", 1, 1), "image path /nowhere: cannot change the owner of something that is not there")

	require.NoError(t, tr.Dir("/tmp", 0o777|fs.ModeSticky))
	require.Equal(t, int64(0o1777), unixMode(tr.Lookup("/tmp").Mode))
}

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffc2d5f2000)\n" +
		"\tlibtinfo.so.6 => /lib/x86_64-linux-gnu/libtinfo.so.6 (0x00007f0e0c8a0000)\n" +
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0e0c6bf000)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f0e0ca3a000)\n"
	libs, err := parseLdd(out)
	require.NoError(t, err)
	require.Equal(t, []string{"/lib/x86_64-linux-gnu/libtinfo.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}, libs)

	_, err = parseLdd("\tlibgone.so.1 => not found\n")
	require.EqualError(t, err, "needs the shared library libgone.so.1, which is not found")
}

// resolve follows p inside the tree as the kernel would inside the
// container, and returns the entry it ends at.
func resolve(t *testing.T, tr *Tree, p string) (string, *Entry) {
	t.Helper()
	rest := components(p)
	done := "/"
	for hops := 0; len(rest) > 0; {
		cur := path.Join(done, rest[0])
		rest = rest[1:]
		e := tr.Lookup(cur)
		require.NotNil(t, e, "%s: %s is not in the image", p, cur)
		if e.Type == TypeSymlink {
			hops++
			require.Less(t, hops, 40)
			next := e.Target
			if !path.IsAbs(next) {
				next = path.Join(done, next)
			}
			rest = append(components(next), rest...)
			done = "/"
			continue
		}
		done = cur
	}
	return done, tr.Lookup(done)
}

func TestAddHostProgramBringsLibrariesAndLinks(t *testing.T) {
	for _, tool := range []string{"sh", "ldd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	tr := NewTree()
	require.NoError(t, tr.AddHostProgram("sh"))
	sh, _ := exec.LookPath("sh")
	real, e := resolve(t, tr, sh)
	require.Equal(t, TypeFile, e.Type)
	hostReal, err := filepath.EvalSymlinks(sh)
	require.NoError(t, err)
	require.Equal(t, hostReal, real, "the program is where the host has it")
	require.Equal(t, hostReal, e.Source)

	libs, err := sharedLibraries(hostReal)
	require.NoError(t, err)
	require.NotEmpty(t, libs, "sh is dynamically linked")
	for _, lib := range libs {
		_, e := resolve(t, tr, lib)
		require.Equal(t, TypeFile, e.Type, lib)
	}

	// A script brings its interpreter; #!/usr/bin/env brings env and the
	// program it runs.
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(script, []byte("#!/usr/bin/env bash\necho hi\n"), 0o755))
	tr = NewTree()
	require.NoError(t, tr.AddHostProgram(script))
	bash, _ := exec.LookPath("bash")
	for _, p := range []string{script, "/usr/bin/env", bash} {
		_, e := resolve(t, tr, p)
		require.Equal(t, TypeFile, e.Type, p)
	}

	err = NewTree().AddHostProgram("no-such-program-nixproc")
	require.EqualError(t, err, "host program no-such-program-nixproc is not installed (not found in PATH)")
}

func TestAddHostProgramAtAndSharedLibraries(t *testing.T) {
	for _, tool := range []string{"bash", "ldd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	bash, _ := exec.LookPath("bash")
	hostReal, err := filepath.EvalSymlinks(bash)
	require.NoError(t, err)
	libs, err := sharedLibraries(hostReal)
	require.NoError(t, err)

	// The program goes elsewhere, its libraries where the host has them.
	tr := NewTree()
	require.NoError(t, tr.AddHostProgramAt(bash, "/opt/tool/bin/shell"))
	e := tr.Lookup("/opt/tool/bin/shell")
	require.NotNil(t, e)
	require.Equal(t, TypeFile, e.Type)
	require.Equal(t, hostReal, e.Source)
	require.Nil(t, tr.Lookup(hostReal), "the program is not at its host path too")
	for _, lib := range libs {
		_, e := resolve(t, tr, lib)
		require.Equal(t, TypeFile, e.Type, lib)
	}

	// A shared library (no dynamic loader of its own) brings the libraries
	// it needs: Python's extension modules are such files.
	found := false
	for _, lib := range libs {
		needs, err := sharedLibraries(lib)
		require.NoError(t, err)
		if real, _ := filepath.EvalSymlinks(lib); len(needs) < 2 || strings.Contains(real, "ld-linux") {
			continue
		}
		found = true
		tr := NewTree()
		require.NoError(t, tr.AddHostProgram(lib))
		for _, n := range needs {
			_, e := resolve(t, tr, n)
			require.Equal(t, TypeFile, e.Type, "%s needs %s", lib, n)
		}
	}
	if !found {
		t.Skip("no library of bash needs another one")
	}
}

func TestAccounts(t *testing.T) {
	tr := NewTree()
	users := append([]User{{Name: "webapp", UID: 2001, GID: 2001, Gecos: "Webapp"}}, BaseUsers...)
	groups := append([]Group{{Name: "webapp", GID: 2001, Members: []string{"zed", "nginx"}}}, BaseGroups...)
	require.NoError(t, AddAccounts(tr, users, groups))
	require.Equal(t, "root:x:0:0:root:/root:/bin/sh\n"+
		"webapp:x:2001:2001:Webapp:/nonexistent:/usr/sbin/nologin\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", string(tr.Lookup("/etc/passwd").Data))
	require.Equal(t, "root:x:0:\nwebapp:x:2001:nginx,zed\nnogroup:x:65534:\n", string(tr.Lookup("/etc/group").Data))
	require.Equal(t, fs.FileMode(0o600), tr.Lookup("/etc/shadow").Mode)
	require.True(t, strings.HasPrefix(string(tr.Lookup("/etc/nsswitch.conf").Data), "passwd: files\n"))

	err := AddAccounts(NewTree(), []User{{Name: "a", UID: 5}, {Name: "b", UID: 5}}, nil)
	require.EqualError(t, err, "users a and b have the same ID 5")
	err = AddAccounts(NewTree(), []User{{Name: "a", Gecos: "x:y"}}, nil)
	require.EqualError(t, err, `user a description "x:y" contains a character the account files cannot hold`)
}

func TestCheckName(t *testing.T) {
	require.NoError(t, CheckName("nixproc-webapp", "0123abc"))
	require.NoError(t, CheckName("nixproc/web_app.1", ""))
	require.EqualError(t, CheckName("Webapp", "x"), `image name "Webapp" is not valid (lower-case letters, digits and separators . _ - /)`)
	require.EqualError(t, CheckName("webapp", "-x"), `image tag "-x" is not valid (letters, digits, _ . -, at most 128)`)
}

func TestAddHostTreeCopiesADirectoryElsewhere(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scripts"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scripts", "rc.init"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.Symlink("scripts/rc.init", filepath.Join(dir, "init")))
	require.NoError(t, exec.Command("mkfifo", "-m", "0600", filepath.Join(dir, "fifo")).Run())

	tr := NewTree()
	require.NoError(t, tr.AddHostTree(dir, "/etc/s6/current"))
	require.Equal(t, []string{"/etc", "/etc/s6", "/etc/s6/current", "/etc/s6/current/fifo", "/etc/s6/current/init",
		"/etc/s6/current/scripts", "/etc/s6/current/scripts/rc.init"}, tr.Paths())
	require.Equal(t, fs.FileMode(0o750), tr.Lookup("/etc/s6/current/scripts").Mode)
	require.Equal(t, TypeFifo, tr.Lookup("/etc/s6/current/fifo").Type)
	require.Equal(t, "scripts/rc.init", tr.Lookup("/etc/s6/current/init").Target)
	rc := tr.Lookup("/etc/s6/current/scripts/rc.init")
	require.Equal(t, filepath.Join(dir, "scripts", "rc.init"), rc.Source)
	require.Equal(t, fs.FileMode(0o755), rc.Mode)

	require.EqualError(t, tr.AddHostTree(filepath.Join(dir, "init"), "/x"), "host path "+filepath.Join(dir, "init")+" is not a directory")
}
