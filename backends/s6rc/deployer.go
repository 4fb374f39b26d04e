package s6rc

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"nixproc/agnostic"
	"nixproc/backends"
	"nixproc/cmdrun"
)

// ModeOption is the switch option that picks how services are supervised.
const ModeOption = "mode"

// Modes: s6-rc proper, or plain s6 supervision of the same longruns.
const (
	ModeS6RC  = "s6-rc"
	ModePlain = "s6"
)

// Layout is where a deployment keeps its s6 state, from its directories:
// the scan directory of nixproc s6-svscan, the compiled databases, s6-rc's
// live state, and the service directories of plain s6 mode.
type Layout struct {
	ScanDir    string // <runtimeDir>/service
	CompileDir string // <stateDir>/etc/s6/rc
	LiveDir    string // <runtimeDir>/s6-rc
	PlainDir   string // <runtimeDir>/nixproc-s6
	LogDir     string
}

// LayoutFor returns the layout of a deployment with these directories.
func LayoutFor(dirs agnostic.Dirs) Layout {
	d := dirs.Resolved()
	return Layout{
		ScanDir:    filepath.Join(d.RuntimeDir, "service"),
		CompileDir: filepath.Join(d.StateDir, "etc", "s6", "rc"),
		LiveDir:    filepath.Join(d.RuntimeDir, "s6-rc"),
		PlainDir:   filepath.Join(d.RuntimeDir, "nixproc-s6"),
		LogDir:     d.LogDir,
	}
}

// Deployer starts and stops the services of a profile on the scan
// directory of a running s6-svscan: with s6-rc (compile, s6-rc-init or
// s6-rc-update, s6-rc change), or, in plain mode, by linking service
// directories into the scan directory and driving them with s6-svc.
type Deployer struct {
	env  *backends.Env
	dirs agnostic.Dirs
	l    Layout
	mode string

	// s6-rc mode: the database the live state must use before anything
	// starts (set by BeforeStop), and the one it uses.
	target     *update
	currentDB  string
	liveExists bool
}

// update is a pending switch of the live state to another database.
type update struct {
	profile    string
	db         string
	conversion string // s6-rc-update's conversion file
}

// Deployer implements backends.Backend.
func (Backend) Deployer(env *backends.Env) (backends.Deployer, error) {
	d := &Deployer{env: env, dirs: env.Dirs.Resolved()}
	d.l = LayoutFor(d.dirs)
	switch m := env.Options[ModeOption]; m {
	case ModeS6RC, ModePlain:
		d.mode = m
	case "", "auto":
		d.mode = autoMode(d.l)
	default:
		return nil, fmt.Errorf("--mode %q is not a supervision mode of the s6-rc backend (s6-rc or s6)", m)
	}
	_, err := os.Stat(d.l.LiveDir)
	d.liveExists = err == nil
	return d, nil
}

// autoMode keeps the mode a deployment already uses, else picks s6-rc when
// it is installed.
func autoMode(l Layout) string {
	if _, err := os.Stat(l.LiveDir); err == nil {
		return ModeS6RC
	}
	if _, err := os.Stat(l.PlainDir); err == nil {
		return ModePlain
	}
	if _, err := exec.LookPath("s6-rc-compile"); err == nil {
		return ModeS6RC
	}
	return ModePlain
}

// Mode is the supervision mode the deployer uses.
func (d *Deployer) Mode() string { return d.mode }

// Units implements backends.Deployer: every process, in activation order.
func (d *Deployer) Units(p *backends.Profile) ([]backends.Unit, error) {
	return backends.DefaultUnits(p), nil
}

func (d *Deployer) run(ctx context.Context, path string, args ...string) (string, error) {
	out, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: path, Args: args, Stderr: d.env.Stderr})
	return string(out), err
}

// query runs a command whose failure is an answer, not news for the user.
func (d *Deployer) query(ctx context.Context, path string, args ...string) (string, error) {
	out, err := d.env.Runner.Run(ctx, cmdrun.Cmd{Path: path, Args: args})
	return string(out), err
}

// BeforeStop implements backends.SwitchHooks: it checks that s6-svscan
// runs, and in s6-rc mode compiles the new database and prepares the
// conversion file that restarts every service whose definition changed.
func (d *Deployer) BeforeStop(ctx context.Context, old, new *backends.Profile) error {
	if err := d.checkDirs(new); err != nil {
		return err
	}
	if _, err := d.query(ctx, "s6-svscanctl", "-a", d.l.ScanDir); err != nil {
		return fmt.Errorf("no s6-svscan runs on %s (start one with: nixproc s6-svscan --runtime-dir %s): %w", d.l.ScanDir, d.dirs.RuntimeDir, err)
	}
	if d.mode == ModePlain {
		return os.MkdirAll(d.l.PlainDir, 0o755)
	}
	db := d.database(new)
	if err := os.MkdirAll(d.l.CompileDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", d.l.CompileDir, err)
	}
	if _, err := os.Stat(db); os.IsNotExist(err) {
		if _, err := d.run(ctx, "s6-rc-compile", db, new.File(SourceDir)); err != nil {
			os.RemoveAll(db)
			return err
		}
	}
	conv, err := conversion(old, new)
	if err != nil {
		return err
	}
	d.target = &update{profile: new.Path, db: db, conversion: conv}
	return nil
}

// checkDirs refuses a profile built for other directories than the
// deployment's: its scripts name its log directory, and the scan directory
// follows the runtime directory.
func (d *Deployer) checkDirs(p *backends.Profile) error {
	if p.Path == "" {
		return nil
	}
	built := p.Meta.Dirs.Resolved()
	if built.StateDir != d.dirs.StateDir || built.RuntimeDir != d.dirs.RuntimeDir {
		return fmt.Errorf("profile %s was built for state directory %s and runtime directory %s, but this deployment uses %s and %s (pass the same --state-dir and --runtime-dir)",
			p.Path, built.StateDir, built.RuntimeDir, d.dirs.StateDir, d.dirs.RuntimeDir)
	}
	return nil
}

// database is where a profile's compiled database lives: named after the
// profile, whose name is the hash of its files.
func (d *Deployer) database(p *backends.Profile) string {
	return filepath.Join(d.l.CompileDir, "compiled-"+filepath.Base(p.Path))
}

// Start implements backends.Deployer.
func (d *Deployer) Start(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if d.mode == ModePlain {
		return d.plainStart(ctx, p, u)
	}
	if err := d.switchLive(ctx, p); err != nil {
		return err
	}
	if _, err := d.run(ctx, "s6-rc", "-l", d.l.LiveDir, "-u", "change", u.Name); err != nil {
		return err
	}
	svcs, err := services(p, u.Name)
	if err != nil {
		return err
	}
	for _, s := range svcs {
		if s.Type == Longrun && !s.Consumer {
			if err := d.checkUp(ctx, u.Name, s.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Stop implements backends.Deployer: s6-rc brings down the process's
// services and everything that depends on them.
func (d *Deployer) Stop(ctx context.Context, p *backends.Profile, u backends.Unit) error {
	if d.mode == ModePlain {
		return d.plainStop(ctx, p, u)
	}
	if !d.liveExists {
		return nil
	}
	_, err := d.run(ctx, "s6-rc", "-l", d.l.LiveDir, "-d", "change", u.Name)
	return err
}

// AfterStart implements backends.SwitchHooks: the live state uses the new
// database, the default bundle is up, and the database is the current one;
// databases of other profiles are removed (a rollback compiles again).
func (d *Deployer) AfterStart(ctx context.Context, old, new *backends.Profile) error {
	if d.mode == ModePlain {
		os.Remove(d.l.PlainDir) // only when empty: auto mode starts afresh
		return nil
	}
	if err := d.switchLive(ctx, new); err != nil {
		return err
	}
	if _, err := d.run(ctx, "s6-rc", "-l", d.l.LiveDir, "-u", "change", defaultBundle); err != nil {
		return err
	}
	db := d.database(new)
	link := filepath.Join(d.l.CompileDir, "compiled")
	tmp := link + ".nixproc-tmp"
	os.Remove(tmp)
	if err := os.Symlink(db, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		return err
	}
	entries, _ := os.ReadDir(d.l.CompileDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "compiled-") && filepath.Join(d.l.CompileDir, e.Name()) != db {
			os.RemoveAll(filepath.Join(d.l.CompileDir, e.Name()))
		}
	}
	return nil
}

// switchLive makes the live state use the profile's database: s6-rc-init
// the first time, else s6-rc-update with the conversion file.
func (d *Deployer) switchLive(ctx context.Context, p *backends.Profile) error {
	if d.target == nil || d.target.profile != p.Path {
		return fmt.Errorf("internal error: the s6-rc database of %s was not compiled before the switch", p.Path)
	}
	db := d.target.db
	if d.currentDB == "" && d.liveExists {
		d.currentDB, _ = filepath.EvalSymlinks(filepath.Join(d.l.LiveDir, "compiled"))
	}
	if d.currentDB == db {
		return nil
	}
	if !d.liveExists {
		if _, err := d.run(ctx, "s6-rc-init", "-c", db, "-l", d.l.LiveDir, d.l.ScanDir); err != nil {
			return err
		}
		d.liveExists, d.currentDB = true, db
		return nil
	}
	conv := filepath.Join(d.l.CompileDir, "conversion-"+filepath.Base(p.Path))
	if err := os.WriteFile(conv, []byte(d.target.conversion), 0o644); err != nil {
		return err
	}
	defer os.Remove(conv)
	if _, err := d.run(ctx, "s6-rc-update", "-l", d.l.LiveDir, "-f", conv, db); err != nil {
		return err
	}
	d.currentDB = db
	return nil
}

// conversion returns s6-rc-update's conversion file: a restart for every
// atomic service in both profiles whose definition directory differs.
// Without it s6-rc-update keeps a changed service running as it was.
func conversion(old, new *backends.Profile) (string, error) {
	if old.Path == "" {
		return "", nil
	}
	oldSvcs, err := definitions(old)
	if err != nil {
		return "", err
	}
	newSvcs, err := definitions(new)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, name := range agnostic.SortedKeys(oldSvcs) {
		o := oldSvcs[name]
		n, ok := newSvcs[name]
		if !ok || o.typ == Bundle || o.hash == n.hash {
			continue
		}
		fmt.Fprintf(&b, "%s restart\n", name)
	}
	return b.String(), nil
}

type definition struct {
	typ  string
	hash string
}

// definitions hashes every source definition directory of a profile.
func definitions(p *backends.Profile) (map[string]definition, error) {
	root := p.File(SourceDir)
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return map[string]definition{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]definition{}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		typ, _ := os.ReadFile(filepath.Join(dir, "type"))
		h := sha256.New()
		err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			info, _ := de.Info()
			fmt.Fprintf(h, "%s\x00%o\x00%d\x00", rel, info.Mode().Perm(), len(data))
			h.Write(data)
			return nil
		})
		if err != nil {
			return nil, err
		}
		out[e.Name()] = definition{typ: strings.TrimSpace(string(typ)), hash: fmt.Sprintf("%x", h.Sum(nil))}
	}
	return out, nil
}

// service is one s6-rc service of a process, as its definition says.
type service struct {
	Name           string
	Type           string
	ProducerFor    string
	Consumer       bool // a logger or other consumer of a pipeline
	NotificationFd bool
}

// services lists the services of a process of a profile, by name.
func services(p *backends.Profile, process string) ([]service, error) {
	pp := p.Process(process)
	if pp == nil {
		return nil, fmt.Errorf("profile %s has no process %s", p.Path, process)
	}
	var out []service
	for _, f := range pp.Files {
		rest, ok := strings.CutPrefix(f, SourceDir+"/")
		if !ok {
			continue
		}
		name, file, ok := strings.Cut(rest, "/")
		if !ok || file != "type" {
			continue
		}
		dir := p.File(filepath.Join(SourceDir, name))
		typ, err := os.ReadFile(filepath.Join(dir, "type"))
		if err != nil {
			return nil, err
		}
		s := service{Name: name, Type: strings.TrimSpace(string(typ))}
		if b, err := os.ReadFile(filepath.Join(dir, "producer-for")); err == nil {
			s.ProducerFor = strings.TrimSpace(string(b))
		}
		_, err = os.Stat(filepath.Join(dir, "consumer-for"))
		s.Consumer = err == nil
		_, err = os.Stat(filepath.Join(dir, "notification-fd"))
		s.NotificationFd = err == nil
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// checkUp tells a process that dies as soon as it starts from one that
// runs: s6 restarts a failing service forever, so a start that "worked" is
// only known to have worked once the service stays up for a moment.
func (d *Deployer) checkUp(ctx context.Context, process, svc string) error {
	dir := filepath.Join(d.l.ScanDir, svc)
	if _, err := d.query(ctx, "s6-svwait", "-d", "-t", strconv.Itoa(millis("NIXPROC_START_SETTLE", 300*time.Millisecond)), dir); err == nil {
		return fmt.Errorf("%s stopped right after it started (see %s)", svc, filepath.Join(LogDir(d.dirs, process), "current"))
	}
	out, err := d.query(ctx, "s6-svstat", "-o", "up", dir)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) != "true" {
		return fmt.Errorf("%s is not up after it started (see %s)", svc, filepath.Join(LogDir(d.dirs, process), "current"))
	}
	return nil
}

// millis reads a duration in seconds from the environment (as the sysvinit
// init functions do), in milliseconds.
func millis(env string, def time.Duration) int {
	if v := os.Getenv(env); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return int(f * 1000)
		}
	}
	return int(def / time.Millisecond)
}
