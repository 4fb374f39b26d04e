package bsdrc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/backends/backendtest"
)

// Every script of every golden case is valid sh and passes shellcheck; the
// checks rc.subr makes pointless are disabled by a directive in the script
// itself, not here.
func TestGoldenScriptsPassShAndShellcheck(t *testing.T) {
	backendtest.Require(t, "sh", "shellcheck")
	profiles := backendtest.GoldenProfiles(t, Backend{})
	var scripts []string
	for _, profile := range profiles {
		found, _ := filepath.Glob(filepath.Join(profile, "etc/rc.d/*"))
		scripts = append(scripts, found...)
	}
	sort.Strings(scripts)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		out, err := exec.Command("sh", "-n", s).CombinedOutput()
		require.NoError(t, err, "sh -n %s: %s", s, out)
	}
	out, err := exec.Command("shellcheck", append([]string{"-s", "sh"}, scripts...)...).CombinedOutput()
	require.NoError(t, err, "shellcheck: %s", out)
}

// stubRCSubr stands in for FreeBSD's /etc/rc.subr: it composes the start
// command the way run_rc_command does (cd to <name>_chdir; nice through an
// extra sh -c; another user through su -m USER -c 'sh -c "..."'; limits in
// front) and evaluates it. The program is replaced by a printer, su, nice
// and limits by stubs that only run what they are given, so real sh does
// all the parsing rc.subr's way of starting a command involves.
const stubRCSubr = `
load_rc_config() { :; }
run_rc_command() {
	eval _chdir=\$${name}_chdir _nice=\$${name}_nice _user=\$${name}_user _limits=\$${name}_limits
	_login_class=daemon
	if [ -n "$_user" ] && [ "$_user" = "$(id -un)" ]; then
		unset _user
	fi
	if [ -n "$start_precmd" ]; then
		eval "$start_precmd" || return 1
	fi
	command=$NIXPROC_TEST_PRINTER
	_cd="${_chdir:+cd $_chdir && }"
	_doit="$command $rc_flags $command_args"
	if [ -n "$_user" ]; then
		_doit="su -m $_user -c 'sh -c \"$_doit\"'"
	fi
	if [ -n "$_nice" ]; then
		if [ -z "$_user" ]; then
			_doit="sh -c \"$_doit\""
		fi
		_doit="nice -n $_nice $_doit"
	fi
	_doit="$_cd limits -C $_login_class $_limits $_doit"
	eval "$_doit"
}
`

var stubs = map[string]string{
	// su -m USER -c CMD: the caller's shell runs CMD (no user switch here).
	"su": `[ "$1" = -m ] && [ "$3" = -c ] || { echo "su stub: unexpected $*" >&2; exit 2; }
echo "$2" >"$NIXPROC_TEST_OUT/su-user"
exec sh -c "$4"`,
	"nice": `[ "$1" = -n ] || exit 2
echo "$2" >"$NIXPROC_TEST_OUT/nice"
shift 2
exec "$@"`,
	"limits": `[ "$1" = -C ] || exit 2
shift 2
exec "$@"`,
	"printer": `printf '%s\0' "$@" >"$NIXPROC_TEST_OUT/args"
env -0 >"$NIXPROC_TEST_OUT/env"
pwd >"$NIXPROC_TEST_OUT/pwd"
umask >"$NIXPROC_TEST_OUT/umask"`,
}

var trickyArgs = []string{"with space", "it's", `"double"`, "$HOME", "`cmd`", "100%", `back\slash`, `trailing\`, ";", "semi;colon", "#hash", "new\nline", "ünïcödé", "", "*", "~", `\"'$`, "--"}

var trickyEnv = map[string]string{
	"DOLLAR": "$PATH", "QUOTES": `'"`, "NEWLINE": "a\nb", "PERCENT": "%s%%",
	"BACKSLASH": `c:\dir\`, "SPACES": " x ", "TICKS": "`id`",
}

// runStart builds a model and runs its script's start with the stub
// rc.subr, returning what the started program got.
func runStart(t *testing.T, model map[string]any) (args []string, env map[string]string, out string) {
	t.Helper()
	backendtest.Require(t, "sh")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	out = filepath.Join(dir, "out")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.MkdirAll(out, 0o755))
	for name, body := range stubs {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rc.subr"), []byte(stubRCSubr), 0o644))

	data, err := json.Marshal(map[string]any{"tricky": map[string]any{"pkg": model}})
	require.NoError(t, err)
	r := backendtest.NewRecorded(t, Backend{}, nil)
	profile := r.Build(string(data))
	script, err := os.ReadFile(filepath.Join(profile, scriptRel("tricky")))
	require.NoError(t, err)
	text := strings.Replace(string(script), ". "+rcSubr+"\n", ". "+filepath.Join(dir, "rc.subr")+"\n", 1)
	require.NotEqual(t, string(script), text)
	copyPath := filepath.Join(dir, "tricky")
	require.NoError(t, os.WriteFile(copyPath, []byte(text), 0o755))

	cmd := exec.Command("sh", copyPath, "onestart")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "NIXPROC_TEST_PRINTER="+filepath.Join(bin, "printer"), "NIXPROC_TEST_OUT="+out)
	cmd.Dir = dir
	combined, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", combined)

	raw, err := os.ReadFile(filepath.Join(out, "args"))
	require.NoError(t, err, "the program did not run: %s", combined)
	args = strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	rawEnv, err := os.ReadFile(filepath.Join(out, "env"))
	require.NoError(t, err)
	env = map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(rawEnv), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return args, env, out
}

func readOut(t *testing.T, out, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, name))
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return strings.TrimSuffix(string(data), "\n")
}

// The exact-bytes case: arguments and environment values with every kind
// of shell metacharacter reach the program byte for byte, through the
// shells rc.subr runs: none, one more for a niceness, two more (and su)
// for another user; and when the script already runs as that user.
func TestExactBytesThroughRCSubrsShells(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     string
		nice     any
		wantSu   string
		wantNice string
	}{
		{name: "plain"},
		{name: "nice", nice: 5, wantNice: "5"},
		{name: "user", user: "nobody", wantSu: "nobody"},
		{name: "user and nice", user: "nobody", nice: -3, wantSu: "nobody", wantNice: "-3"},
		{name: "already that user", user: currentUser(t), nice: 2, wantNice: "2"},
	} {
		for _, foreground := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s foreground=%v", tc.name, foreground), func(t *testing.T) {
				model := map[string]any{
					"name": "tricky", "environment": trickyEnv,
					"directory": t.TempDir() + "/dir with 'quotes' and $x", "umask": "0027",
				}
				require.NoError(t, os.MkdirAll(model["directory"].(string), 0o755))
				if foreground {
					model["foregroundProcess"], model["foregroundProcessArgs"] = "/bin/tricky", trickyArgs
				} else {
					model["daemon"], model["daemonArgs"] = "/bin/tricky", trickyArgs
				}
				if tc.user != "" {
					model["user"] = tc.user
				}
				if tc.nice != nil {
					model["nice"] = tc.nice
				}
				args, env, out := runStart(t, model)
				want := trickyArgs
				if foreground {
					require.Equal(t, "-p", args[0])
					i := indexOf(args, "--")
					require.GreaterOrEqual(t, i, 0, "%q", args)
					require.Equal(t, "/bin/tricky", args[i+1])
					args = args[i+2:]
				}
				require.Equal(t, want, args)
				for k, v := range trickyEnv {
					require.Equal(t, v, env[k], "environment %s", k)
				}
				require.Equal(t, model["directory"], readOut(t, out, "pwd"))
				require.Equal(t, "0027", readOut(t, out, "umask"))
				require.Equal(t, tc.wantSu, readOut(t, out, "su-user"))
				require.Equal(t, tc.wantNice, readOut(t, out, "nice"))
			})
		}
	}
}

func currentUser(t *testing.T) string {
	out, err := exec.Command("id", "-un").Output()
	require.NoError(t, err)
	return string(bytes.TrimSpace(out))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
