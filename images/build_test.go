package images

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
	"nixproc/imagebuild"
	"nixproc/imagebuild/podmantest"
)

// archive is a docker-archive read back: the config and the files of all
// layers (a later layer's entry wins).
type archive struct {
	config struct {
		Config imagebuild.Config `json:"config"`
	}
	repoTags []string
	entries  map[string]*tar.Header
	data     map[string][]byte
}

func readArchive(t *testing.T, file []byte) *archive {
	t.Helper()
	blobs := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(file))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		blobs[hdr.Name] = data
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	require.NoError(t, json.Unmarshal(blobs["manifest.json"], &manifest))
	require.Len(t, manifest, 1)
	a := &archive{repoTags: manifest[0].RepoTags, entries: map[string]*tar.Header{}, data: map[string][]byte{}}
	require.NoError(t, json.Unmarshal(blobs[manifest[0].Config], &a.config))
	for _, l := range manifest[0].Layers {
		lr := tar.NewReader(bytes.NewReader(blobs[l]))
		for {
			hdr, err := lr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			name := "/" + strings.TrimSuffix(hdr.Name, "/")
			a.entries[name] = hdr
			if hdr.Typeflag == tar.TypeReg {
				a.data[name], err = io.ReadAll(lr)
				require.NoError(t, err)
			}
		}
	}
	return a
}

func (a *archive) text(t *testing.T, name string) string {
	t.Helper()
	data, ok := a.data[name]
	require.True(t, ok, "the image has no file %s", name)
	return string(data)
}

// buildExample writes the example image for a process manager with its
// profiles in their own build directory.
func buildExample(t *testing.T, pm string, force bool, nixproc string) []byte {
	t.Helper()
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(t.TempDir(), "builds"))
	args := map[string]string{}
	if force {
		args["forceDisableUserChange"] = "true"
	}
	spec, err := Load(context.Background(), "../examples/multi-process-image", LoadOptions{ArgStrs: map[string]string{"processManager": pm}, Args: args})
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "image.tar")
	_, err = WriteFile(context.Background(), spec, out, Options{Nixproc: nixproc})
	require.NoError(t, err)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	return data
}

func requireExampleTools(t *testing.T) {
	backendtest.RequireRoot(t) // the store paths are realised
	backendtest.Require(t, "nix-instantiate", "nix-store", "nginx", "daemon", "setpriv", "bash", "ldd")
}

// TestImageIsDeterministicAndComplete builds the example's disnix image
// twice, from profiles in different places: the tarballs are
// byte-identical. The image holds what the processes need: the profile
// (its component specifications naming the profile where the image has
// it), the store closure, host programs, accounts with the credentials'
// IDs, state directories, and nixproc as PID 1.
func TestImageIsDeterministicAndComplete(t *testing.T) {
	requireExampleTools(t)
	nixproc := buildNixproc(t)
	first := buildExample(t, "disnix", false, nixproc)
	second := buildExample(t, "disnix", false, nixproc)
	require.True(t, bytes.Equal(first, second), "the same inputs give the same tarball")

	a := readArchive(t, first)
	require.Equal(t, []string{"multiprocess:test"}, a.repoTags)
	cmd := a.config.Config.Cmd
	require.Len(t, cmd, 3)
	require.Equal(t, []string{NixprocPath, "init"}, cmd[:2])
	profile := cmd[2]
	require.Regexp(t, `^/nix/var/nix/nixproc/builds/[0-9a-z]{32}-nixproc-disnix-profile$`, profile)
	require.Equal(t, []string{"PATH=" + SystemPath + ":/nixproc/bin"}, a.config.Config.Env)

	spec := a.text(t, profile+"/disnix/components/webapp1/etc/dysnomia/process/webapp1")
	require.Contains(t, spec, "process='"+profile+"/disnix/components/webapp1/bin/webapp1-process-wrapper'")
	require.NotContains(t, spec, t.Name(), "the profile's place on the host does not leak into the image")
	wrapper := a.text(t, profile+"/disnix/components/webapp1/bin/webapp1-process-wrapper")
	webapp := imagebuild.StorePaths(wrapper)
	require.Len(t, webapp, 1)
	require.Contains(t, a.entries, webapp[0]+"/bin/webapp", "the store closure is in")

	for _, prog := range []string{NixprocPath, "/usr/sbin/nginx", "/usr/bin/daemon", "/usr/bin/setpriv", "/usr/bin/env", "/usr/bin/ps", "/usr/bin/less"} {
		hdr, ok := a.entries[prog]
		if !ok { // a merged /usr: /usr/bin is reached through /bin
			continue
		}
		require.Equal(t, byte(tar.TypeReg), hdr.Typeflag, prog)
		require.NotZero(t, hdr.Mode&0o111, "%s is executable", prog)
	}
	require.Contains(t, a.entries, NixprocPath)
	require.Contains(t, a.entries, "/usr/sbin/nginx", "a program the profile runs by path comes from the host")

	passwd := a.text(t, "/etc/passwd")
	require.Contains(t, passwd, "root:x:0:0:")
	require.Contains(t, passwd, "webapp1:x:2001:2001:Webapp:/dev/null:")
	require.Contains(t, passwd, "nginx:x:2000:2000:Nginx user:/dev/null:")
	require.Contains(t, a.text(t, "/etc/group"), "webapp2:x:2002:\n")

	require.Equal(t, "../run", a.entries["/var/run"].Linkname)
	require.Equal(t, int64(0o1777), a.entries["/tmp"].Mode)
	for _, d := range []string{"/run", "/var/log", "/var/cache", "/var/lib", "/var/spool", "/var/lock"} {
		require.Equal(t, byte(tar.TypeDir), a.entries[d].Typeflag, d)
	}
	require.Contains(t, a.text(t, "/root/.bashrc"), "PS1=")
}

// TestSupervisordImageHasItsPython: supervisord is a Python program of
// the host; its image has the modules it imports, pkg_resources (which
// supervisor imports but does not declare) and the standard library, and
// runs supervisord on the profile's configuration.
func TestSupervisordImageHasItsPython(t *testing.T) {
	requireExampleTools(t)
	backendtest.Require(t, "supervisord")
	a := readArchive(t, buildExample(t, "supervisord", true, ""))
	cmd := a.config.Config.Cmd
	require.Len(t, cmd, 4)
	require.Equal(t, []string{lookPath("supervisord"), "--nodaemon", "--configuration"}, cmd[:3])
	require.Regexp(t, `^/nix/var/nix/nixproc/builds/[0-9a-z]{32}-nixproc-supervisord-profile/supervisord.conf$`, cmd[3])
	require.Contains(t, a.text(t, cmd[3]), "[include]")
	require.Contains(t, a.entries, "/etc/supervisor", "supervisorctl finds the configuration")
	require.NotContains(t, a.entries, NixprocPath, "supervisord is PID 1")

	interp, err := scriptInterpreter(lookPath("supervisord"))
	require.NoError(t, err)
	dirs, _, err := pythonPath(interp)
	require.NoError(t, err)
	found := map[string]bool{}
	for name := range a.entries {
		for _, d := range dirs {
			for _, module := range []string{"supervisor/options.py", "pkg_resources/__init__.py", "os.py", "xmlrpc/client.py"} {
				if name == d+"/"+module {
					found[module] = true
				}
			}
		}
	}
	require.Equal(t, map[string]bool{"supervisor/options.py": true, "pkg_resources/__init__.py": true, "os.py": true, "xmlrpc/client.py": true}, found)
	// forceDisableUserChange: no accounts but root and nobody
	require.Equal(t, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", a.text(t, "/etc/passwd"))
}

// TestInteractiveImageWithManpagesRunsItsTools runs the tools of an
// interactive image with manual pages in podman: bash with the .bashrc,
// ps, less, and man formatting a page of a program the image has.
func TestInteractiveImageWithManpagesRunsItsTools(t *testing.T) {
	requireExampleTools(t)
	backendtest.Require(t, "man", "groff", "col")
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(t.TempDir(), "builds"))
	model, err := filepath.Abs("../examples/webapps-agnostic/processes.nix")
	require.NoError(t, err)
	spec := &Spec{Name: "nixproc-test/manpages", Tag: "test", ExprFile: model, ProcessManager: "sysvinit",
		Interactive: true, Manpages: true, ForceDisableUserChange: true}
	out := filepath.Join(t.TempDir(), "image.tar")
	res, err := WriteFile(context.Background(), spec, out, Options{Nixproc: buildNixproc(t)})
	require.NoError(t, err)

	engine := podmantest.New(t)
	engine.MustRun(t, "load", "--input", out)
	got := engine.MustRun(t, "run", "--rm", "--entrypoint", "/bin/bash", res.Ref, "-c",
		`. /root/.bashrc && alias ls && ps -o comm= -p $$ && less --version | head -n 1 && man ls | head -n 5`)
	lines := strings.Split(got, "\n")
	require.Equal(t, "alias ls='ls --color=auto'", lines[0])
	require.Equal(t, "bash", lines[1])
	require.Regexp(t, `^less \d+`, lines[2])
	require.Contains(t, got, "ls - list directory contents")
}
