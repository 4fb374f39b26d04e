package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/imagebuild/podmantest"
)

// probeInStore builds testdata/probe (statically) and adds it to the Nix
// store as <store path>/bin/probe.
func probeInStore(t *testing.T) string {
	return podmantest.BuildIntoStore(t, "./testdata/probe", "probe")
}

// testImage builds an image from scratch with a bit of everything.
func testImage(t *testing.T, storePath string) *Image {
	t.Helper()
	ctx := context.Background()
	var layers []Layer
	if storePath != "" {
		l, err := StoreLayers(ctx, []string{storePath + "/bin/probe"}, 0)
		require.NoError(t, err)
		layers = append(layers, l...)
	}
	host := NewTree()
	require.NoError(t, host.AddHostProgram("/bin/sh"))
	layers = append(layers, Layer{Tree: host, CreatedBy: "host programs"})

	custom := NewTree()
	require.NoError(t, AddAccounts(custom, append([]User{{Name: "app", UID: 4242, GID: 4242, Home: "/home/app"}}, BaseUsers...),
		append([]Group{{Name: "app", GID: 4242}}, BaseGroups...)))
	require.NoError(t, custom.Dir("/tmp", 0o777|fs.ModeSticky))
	require.NoError(t, custom.Dir("/home/app", 0o750))
	require.NoError(t, custom.Chown("/home/app", 4242, 4242))
	require.NoError(t, custom.File("/home/app/ünïcödé name", []byte("text\n"), 0o644))
	long := "/data/" + strings.Repeat("long-directory-name/", 8) + strings.Repeat("x", 120)
	require.NoError(t, custom.File(long, []byte("deep"), 0o444))
	require.NoError(t, custom.Symlink("/var/run", "../run"))
	require.NoError(t, custom.Dir("/run", 0o755))
	require.NoError(t, custom.Fifo("/run/fifo", 0o600))
	layers = append(layers, Layer{Tree: custom, CreatedBy: "configuration"})

	cfg := Config{Env: []string{"PATH=/usr/bin:/bin", "GREETING=hello world"}, WorkingDir: "/home/app", User: "app", Labels: map[string]string{"b": "2", "a": "1"}}
	if storePath != "" {
		cfg.Cmd = []string{storePath + "/bin/probe", "one arg", "two"}
	} else {
		cfg.Cmd = []string{"/bin/sh", "-c", "echo hi"}
	}
	return &Image{Name: "nixproc-test/probe", Config: cfg, Layers: layers}
}

func TestWriteIsDeterministic(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("ldd is not installed")
	}
	store := ""
	if os.Geteuid() == 0 {
		store = probeInStore(t)
	}
	var outs [2]bytes.Buffer
	var res [2]*Result
	for i := range outs {
		var err error
		res[i], err = Write(context.Background(), &outs[i], testImage(t, store))
		require.NoError(t, err)
	}
	require.True(t, bytes.Equal(outs[0].Bytes(), outs[1].Bytes()), "two writes of the same image differ")
	require.Equal(t, res[0], res[1])
	require.Equal(t, "nixproc-test/probe:"+strings.TrimPrefix(res[0].ID, "sha256:")[:32], res[0].Ref, "the default tag comes from the content")

	// And through WriteFile, into a file that then exists whole.
	file := filepath.Join(t.TempDir(), "image.tar")
	_, err := WriteFile(context.Background(), file, testImage(t, store))
	require.NoError(t, err)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.True(t, bytes.Equal(outs[0].Bytes(), data))
	entries, _ := os.ReadDir(filepath.Dir(file))
	require.Len(t, entries, 1, "no temporary file is left")

	checkArchive(t, outs[0].Bytes(), res[0])
}

// checkArchive reads a docker-archive back and checks what engines rely on
// and what makes it reproducible.
func checkArchive(t *testing.T, archive []byte, res *Result) {
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		checkHeader(t, hdr)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[hdr.Name] = data
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	require.NoError(t, json.Unmarshal(files["manifest.json"], &manifest))
	require.Len(t, manifest, 1)
	require.Equal(t, []string{res.Ref}, manifest[0].RepoTags)
	cfgData := files[manifest[0].Config]
	require.NotNil(t, cfgData, "the config the manifest names is in the archive")
	require.Equal(t, strings.TrimPrefix(res.ID, "sha256:")+".json", manifest[0].Config)
	require.Equal(t, res.ID, digest(cfgData))

	var cfg struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Created      string `json:"created"`
		Config       Config `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []map[string]string `json:"history"`
	}
	require.NoError(t, json.Unmarshal(cfgData, &cfg))
	require.Equal(t, "linux", cfg.OS)
	require.Equal(t, "1970-01-01T00:00:01Z", cfg.Created)
	require.Equal(t, "layers", cfg.RootFS.Type)
	require.Equal(t, res.DiffIDs, cfg.RootFS.DiffIDs)
	require.Len(t, cfg.History, len(cfg.RootFS.DiffIDs))
	require.Equal(t, "app", cfg.Config.User)
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, cfg.Config.Labels)

	require.Len(t, manifest[0].Layers, len(cfg.RootFS.DiffIDs))
	for i, l := range manifest[0].Layers {
		data := files[l]
		require.NotNil(t, data, "layer %s is in the archive", l)
		require.Equal(t, cfg.RootFS.DiffIDs[i], digest(data), "diff_id of %s", l)
		var names []string
		lr := tar.NewReader(bytes.NewReader(data))
		for {
			hdr, err := lr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			checkHeader(t, hdr)
			names = append(names, strings.TrimSuffix(hdr.Name, "/"))
			if hdr.Name == "home/app/" {
				require.Equal(t, 4242, hdr.Uid)
				require.Equal(t, int64(0o750), hdr.Mode)
			}
			if hdr.Name == "tmp/" {
				require.Equal(t, int64(0o1777), hdr.Mode)
			}
			if hdr.Name == "run/fifo" {
				require.Equal(t, byte(tar.TypeFifo), hdr.Typeflag)
			}
		}
		require.True(t, sort.StringsAreSorted(names), "layer %d entries are sorted", i)
		seen := map[string]bool{}
		for _, n := range names {
			if d := filepath.Dir(n); d != "." {
				require.True(t, seen[d], "%s comes after its directory", n)
			}
			seen[n] = true
		}
	}
}

func checkHeader(t *testing.T, hdr *tar.Header) {
	t.Helper()
	require.True(t, hdr.ModTime.Equal(Epoch), "%s: mtime %v", hdr.Name, hdr.ModTime)
	require.Empty(t, hdr.Uname, hdr.Name)
	require.Empty(t, hdr.Gname, hdr.Name)
	require.True(t, hdr.AccessTime.IsZero() && hdr.ChangeTime.IsZero(), "%s has access or change times", hdr.Name)
	for k := range hdr.PAXRecords {
		require.NotContains(t, []string{"mtime", "atime", "ctime"}, k, hdr.Name)
	}
	require.NotEqual(t, byte(tar.TypeLink), hdr.Typeflag, "%s: no hard links", hdr.Name)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestPodmanLoadsAndRunsTheImage(t *testing.T) {
	engine := podmantest.New(t)
	store := probeInStore(t)
	file := filepath.Join(t.TempDir(), "image.tar")
	res, err := WriteFile(context.Background(), file, testImage(t, store))
	require.NoError(t, err)

	out := engine.MustRun(t, "load", "--input", file)
	require.Contains(t, out, res.Ref)
	id := strings.TrimSpace(engine.MustRun(t, "image", "inspect", "--format", "{{.Id}}", res.Ref))
	require.Equal(t, strings.TrimPrefix(res.ID, "sha256:"), id, "the engine keeps the config digest as the image ID")

	// The entry point is the store program; it runs as the image's user, in
	// its working directory, with its environment and arguments.
	out = engine.MustRun(t, "run", "--rm", "--network", "host", res.Ref)
	require.Contains(t, out, `args=["one arg" "two"]`+"\n")
	require.Contains(t, out, "uid=4242 gid=4242\n")
	require.Contains(t, out, "cwd=/home/app\n")
	require.Contains(t, out, `env "GREETING=hello world"`+"\n")

	// The host shell works with the libraries that came with it, and finds
	// the image's account files and the file below a sticky /tmp.
	out = engine.MustRun(t, "run", "--rm", "--user", "root", "--entrypoint", "/bin/sh", res.Ref, "-c",
		`read -r line </etc/passwd && echo "$line" && read -r line <"/home/app/ünïcödé name" && echo "$line" && test -k /tmp && test -p /run/fifo && echo ok`)
	require.Equal(t, "root:x:0:0:root:/root:/bin/sh\ntext\nok\n", out)
}
