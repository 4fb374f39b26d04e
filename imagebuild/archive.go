package imagebuild

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"time"
)

// Epoch is the time every entry and the image claim to be from (as Nix's
// dockerTools: one second after the Unix epoch).
var Epoch = time.Unix(1, 0).UTC()

// Config is the run configuration of an image, with Docker's key names.
type Config struct {
	Cmd          []string            `json:"Cmd,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	User         string              `json:"User,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// Layer is one layer of an image.
type Layer struct {
	Tree *Tree
	// CreatedBy describes the layer in the image's history.
	CreatedBy string
}

// Image is what Write writes.
type Image struct {
	// Name is the repository ("webapp", "nixproc/webapp"): lower case.
	Name string
	// Tag defaults to the first 32 hex digits of the config's digest, so an
	// image with other content gets another tag.
	Tag    string
	Config Config
	// Layers, bottom first. An image without layers gets one empty layer.
	Layers []Layer
	// Architecture defaults to the one nixproc runs on (Go's names: amd64,
	// arm64, ...).
	Architecture string
}

// Result describes a written image.
type Result struct {
	// Ref is name:tag, as the archive's manifest names the image.
	Ref string
	// ID is the config's digest (sha256:...), the image ID engines show.
	ID string
	// DiffIDs are the digests of the uncompressed layers, bottom first.
	DiffIDs []string
}

var (
	nameRe = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRe  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// CheckName tells whether name and tag can name an image.
func CheckName(name, tag string) error {
	if !nameRe.MatchString(name) || len(name) > 255 {
		return fmt.Errorf("image name %q is not valid (lower-case letters, digits and separators . _ - /)", name)
	}
	if tag != "" && !tagRe.MatchString(tag) {
		return fmt.Errorf("image tag %q is not valid (letters, digits, _ . -, at most 128)", tag)
	}
	return nil
}

type configFile struct {
	Architecture string    `json:"architecture"`
	Config       Config    `json:"config"`
	Created      string    `json:"created"`
	History      []history `json:"history"`
	OS           string    `json:"os"`
	RootFS       rootFS    `json:"rootfs"`
}

type history struct {
	Created   string `json:"created"`
	CreatedBy string `json:"created_by,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteFile writes the image as a docker-archive tarball at path; the file
// appears complete or not at all.
func WriteFile(ctx context.Context, path string, img *Image) (*Result, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("writing image %s: %w", path, unwrapPath(err))
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	res, err := Write(ctx, f, img)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing image %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, fmt.Errorf("writing image %s: %w", path, unwrapPath(err))
	}
	ok = true
	return res, nil
}

// Write writes the image as a docker-archive tarball. Layers are written to
// temporary files first, as their digests name them in the archive.
func Write(ctx context.Context, w io.Writer, img *Image) (*Result, error) {
	if err := CheckName(img.Name, img.Tag); err != nil {
		return nil, err
	}
	layers := img.Layers
	if len(layers) == 0 {
		layers = []Layer{{Tree: NewTree(), CreatedBy: "nixproc: empty layer"}}
	}
	tmp, err := os.MkdirTemp("", "nixproc-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	type written struct {
		file   string
		size   int64
		diffID string
	}
	var files []written
	cfg := configFile{
		Architecture: img.Architecture,
		Config:       img.Config,
		Created:      Epoch.Format(time.RFC3339),
		OS:           "linux",
		RootFS:       rootFS{Type: "layers"},
	}
	if cfg.Architecture == "" {
		cfg.Architecture = runtime.GOARCH
	}
	for i, l := range layers {
		if l.Tree == nil {
			return nil, fmt.Errorf("image %s: layer %d has no tree", img.Name, i+1)
		}
		name := filepath.Join(tmp, fmt.Sprintf("layer-%d.tar", i))
		size, sum, err := writeLayerFile(ctx, name, l.Tree)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d (%s): %w", img.Name, i+1, l.CreatedBy, err)
		}
		files = append(files, written{name, size, sum})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, "sha256:"+sum)
		cfg.History = append(cfg.History, history{Created: cfg.Created, CreatedBy: l.CreatedBy})
	}
	cfgData, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgSum := sha256.Sum256(cfgData)
	cfgHex := hex.EncodeToString(cfgSum[:])
	tag := img.Tag
	if tag == "" {
		tag = cfgHex[:32]
	}
	ref := img.Name + ":" + tag
	manifest := []manifestEntry{{Config: cfgHex + ".json", RepoTags: []string{ref}}}
	for _, f := range files {
		manifest[0].Layers = append(manifest[0].Layers, f.diffID+"/layer.tar")
	}
	manifestData, err := json.Marshal(manifest)
	if err != nil {
		return nil, err
	}

	tw := tar.NewWriter(w)
	if err := writeBytes(tw, cfgHex+".json", cfgData); err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, f := range files {
		if done[f.diffID] {
			continue // an identical layer is stored once
		}
		done[f.diffID] = true
		if err := tw.WriteHeader(header(f.diffID+"/", tar.TypeDir, 0o755, 0)); err != nil {
			return nil, err
		}
		if err := copyFile(tw, f.diffID+"/layer.tar", f.file, f.size); err != nil {
			return nil, err
		}
	}
	if err := writeBytes(tw, "manifest.json", manifestData); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	res := &Result{Ref: ref, ID: "sha256:" + cfgHex}
	for _, f := range files {
		res.DiffIDs = append(res.DiffIDs, "sha256:"+f.diffID)
	}
	return res, nil
}

// header is a tar header with everything that could differ between two
// runs fixed: time, owner, no names.
func header(name string, typ byte, mode int64, size int64) *tar.Header {
	return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: Epoch}
}

func writeBytes(tw *tar.Writer, name string, data []byte) error {
	if err := tw.WriteHeader(header(name, tar.TypeReg, 0o644, int64(len(data)))); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func copyFile(tw *tar.Writer, name, file string, size int64) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(header(name, tar.TypeReg, 0o644, size)); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, size)
	return err
}

func writeLayerFile(ctx context.Context, name string, t *Tree) (int64, string, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	if err := WriteLayer(ctx, cw, t); err != nil {
		return 0, "", err
	}
	if err := f.Close(); err != nil {
		return 0, "", err
	}
	return cw.n, hex.EncodeToString(h.Sum(nil)), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteLayer writes a tree as a layer tarball (uncompressed).
func WriteLayer(ctx context.Context, w io.Writer, t *Tree) error {
	tw := tar.NewWriter(w)
	for _, p := range t.Paths() {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := t.entries[p]
		name := p[1:]
		var hdr *tar.Header
		switch e.Type {
		case TypeDir:
			hdr = header(name+"/", tar.TypeDir, unixMode(e.Mode), 0)
		case TypeSymlink:
			hdr = header(name, tar.TypeSymlink, 0o777, 0)
			hdr.Linkname = e.Target
		case TypeFifo:
			hdr = header(name, tar.TypeFifo, unixMode(e.Mode), 0)
		case TypeFile:
			if e.Source != "" {
				if err := writeSource(tw, name, e); err != nil {
					return err
				}
				continue
			}
			hdr = header(name, tar.TypeReg, unixMode(e.Mode), int64(len(e.Data)))
		}
		hdr.Uid, hdr.Gid = e.UID, e.GID
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if e.Type == TypeFile {
			if _, err := tw.Write(e.Data); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// writeSource copies a host file into the layer, exactly as many bytes as
// it has when it is opened.
func writeSource(tw *tar.Writer, name string, e *Entry) error {
	f, err := os.Open(e.Source)
	if err != nil {
		return fmt.Errorf("host file %s: %w", e.Source, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("host file %s is no longer a regular file", e.Source)
	}
	hdr := header(name, tar.TypeReg, unixMode(e.Mode), st.Size())
	hdr.Uid, hdr.Gid = e.UID, e.GID
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if _, err := io.CopyN(tw, f, st.Size()); err != nil {
		return fmt.Errorf("host file %s: %w", e.Source, err)
	}
	return nil
}
