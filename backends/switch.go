package backends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"nixproc/usermgmt"
)

// SwitchOptions say what to deploy.
type SwitchOptions struct {
	Env      *Env
	Profiles Profiles
	// NewPath is a built profile to deploy as a new generation; when empty,
	// Generation names an existing generation to make current.
	NewPath    string
	Generation int
	// OldPath, when set, is taken as the deployed profile instead of the
	// current generation (deploy's -o).
	OldPath string
	// LockTimeout bounds each lock and unlock command of the processes
	// (see switch_lock.go); 0 means DefaultLockTimeout.
	LockTimeout time.Duration
}

// Plan is what a switch will do.
type Plan struct {
	Old, New *Profile
	// Stop lists units of the old profile, in the order they are stopped.
	Stop []Unit
	// Start lists units of the new profile, in the order they are started.
	Start []Unit
}

// MakePlan compares two profiles: a unit that is gone or changed stops, a
// unit that is new or changed starts, and a unit that depends (directly or
// not) on one that restarts restarts too.
func MakePlan(old, new *Profile, oldUnits, newUnits []Unit) Plan {
	oldByName := map[string]Unit{}
	for _, u := range oldUnits {
		oldByName[u.Name] = u
	}
	restart := map[string]bool{}
	for _, u := range newUnits {
		if o, ok := oldByName[u.Name]; ok && o.Hash != u.Hash {
			restart[u.Name] = true
		}
	}
	// newUnits are in start order, so one pass propagates to dependents.
	for _, u := range newUnits {
		if _, existed := oldByName[u.Name]; !existed {
			continue
		}
		for _, d := range u.Dependencies {
			if restart[d] {
				restart[u.Name] = true
			}
		}
	}
	newNames := map[string]bool{}
	plan := Plan{Old: old, New: new}
	for _, u := range newUnits {
		newNames[u.Name] = true
		if _, existed := oldByName[u.Name]; !existed || restart[u.Name] {
			plan.Start = append(plan.Start, u)
		}
	}
	for i := len(oldUnits) - 1; i >= 0; i-- {
		u := oldUnits[i]
		if !newNames[u.Name] || restart[u.Name] {
			plan.Stop = append(plan.Stop, u)
		}
	}
	return plan
}

// Switch deploys a profile: it takes the profile lock, locks the running
// processes that have a lock command (when it is going to stop anything),
// creates state directories and new users and groups, stops what is
// obsolete in reverse order, starts what is new in order, makes the profile
// current and unlocks. If a process fails to start, everything started is
// stopped again, what was stopped is started again, the processes are
// unlocked, and the error names the process. If a lock fails, nothing
// changes.
func Switch(ctx context.Context, o SwitchOptions) (err error) {
	unlock, err := lockProfile(o.Profiles)
	if err != nil {
		return err
	}
	defer unlock()

	oldPath, _, err := o.Profiles.Current()
	if err != nil {
		return err
	}
	if o.OldPath != "" {
		oldPath = o.OldPath
	}
	newPath := o.NewPath
	if newPath == "" {
		if newPath, err = o.Profiles.Find(o.Generation); err != nil {
			return err
		}
	}
	old, err := OpenProfile(oldPath)
	if err != nil {
		return err
	}
	if old.Path == "" {
		old.Meta.ProcessManager = "" // nothing deployed
	}
	newP, err := OpenProfile(newPath)
	if err != nil {
		return err
	}
	newDep, err := deployerFor(newP, o.Env)
	if err != nil {
		return err
	}
	oldDep := newDep
	if old.Path != "" && old.Meta.ProcessManager != newP.Meta.ProcessManager {
		if oldDep, err = deployerFor(old, o.Env); err != nil {
			return err
		}
	}
	var oldUnits []Unit
	if old.Path != "" {
		if oldUnits, err = oldDep.Units(old); err != nil {
			return err
		}
	}
	newUnits, err := newDep.Units(newP)
	if err != nil {
		return err
	}
	plan := MakePlan(old, newP, oldUnits, newUnits)

	var locks *heldLocks
	if len(plan.Stop) > 0 {
		if locks, err = acquireLocks(ctx, o.Env, o.LockTimeout, oldUnits); err != nil {
			return fmt.Errorf("%w; the deployment was left as it was", err)
		}
	}
	// done stays nil unless the new deployment is in place: then locked
	// processes are unlocked as the switch left them, else as they were.
	var done *switchOutcome
	defer func() {
		uerr := locks.release(ctx, done)
		switch {
		case uerr == nil:
		case err == nil:
			err = fmt.Errorf("the new deployment is in place, but %w", uerr)
		default:
			fmt.Fprintf(orDiscard(o.Env.Stderr), "nixproc: warning: %v\n", uerr)
		}
	}()

	if err := InitState(newP.Meta.Dirs, newP.Meta.ForceDisableUserChange); err != nil {
		return err
	}
	accounts := &usermgmt.Manager{Runner: o.Env.Runner}
	known, err := loadAccounts(o.Profiles)
	if err != nil {
		return err
	}
	created, err := createAccounts(ctx, accounts, newP)
	if err != nil {
		_ = deleteAccounts(ctx, accounts, created)
		return err
	}
	known.Users = appendNew(known.Users, created.Users)
	known.Groups = appendNew(known.Groups, created.Groups)
	if err := saveAccounts(o.Profiles, known); err != nil {
		return err
	}

	s := &switcher{ctx: ctx, env: o.Env, plan: plan, oldDep: oldDep, newDep: newDep}
	if err := s.run(); err != nil {
		if rbErr := deleteAccounts(ctx, accounts, created); rbErr != nil {
			fmt.Fprintf(s.stderr(), "nixproc: while rolling back: %v\n", rbErr)
		}
		known.Users = remove(known.Users, created.Users)
		known.Groups = remove(known.Groups, created.Groups)
		_ = saveAccounts(o.Profiles, known)
		return err
	}

	// Accounts that nixproc created and the new profile no longer declares.
	wantUsers, _ := profileAccounts(newP, "users")
	wantGroups, _ := profileAccounts(newP, "groups")
	var obsolete accountsState
	for _, u := range known.Users {
		if _, ok := wantUsers[u]; !ok {
			obsolete.Users = append(obsolete.Users, u)
		}
	}
	for _, g := range known.Groups {
		if _, ok := wantGroups[g]; !ok {
			obsolete.Groups = append(obsolete.Groups, g)
		}
	}
	if err := deleteAccounts(ctx, accounts, obsolete); err != nil {
		fmt.Fprintf(s.stderr(), "nixproc: warning: %v\n", err)
	} else {
		known.Users = remove(known.Users, obsolete.Users)
		known.Groups = remove(known.Groups, obsolete.Groups)
		_ = saveAccounts(o.Profiles, known)
	}

	done = s.outcome(newUnits)
	if o.NewPath != "" {
		_, err = o.Profiles.Add(o.NewPath)
	} else {
		err = o.Profiles.SetCurrent(o.Generation)
	}
	return err
}

func deployerFor(p *Profile, env *Env) (Deployer, error) {
	b, err := Lookup(p.Meta.ProcessManager)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.Path, err)
	}
	return b.Deployer(env)
}

// switcher carries out a plan and undoes it on failure.
type switcher struct {
	ctx            context.Context
	env            *Env
	plan           Plan
	oldDep, newDep Deployer
	stopped        []Unit // old units stopped so far
	started        []Unit // new units started so far
}

// outcome says what the switch did, for unlocking (see heldLocks.release).
func (s *switcher) outcome(newUnits []Unit) *switchOutcome {
	o := &switchOutcome{stopped: map[string]bool{}, started: map[string]bool{}, newUnits: map[string]Unit{}}
	for _, u := range s.stopped {
		o.stopped[u.Name] = true
	}
	for _, u := range s.started {
		o.started[u.Name] = true
	}
	for _, u := range newUnits {
		o.newUnits[u.Name] = u
	}
	return o
}

func (s *switcher) stderr() io.Writer {
	if s.env.Stderr != nil {
		return s.env.Stderr
	}
	return io.Discard
}

func (s *switcher) run() error {
	if h, ok := s.newDep.(SwitchHooks); ok {
		if err := h.BeforeStop(s.ctx, s.plan.Old, s.plan.New); err != nil {
			return err
		}
	}
	for _, u := range s.plan.Stop {
		if err := s.oldDep.Stop(s.ctx, s.plan.Old, u); err != nil {
			err = fmt.Errorf("stopping %s failed: %w", u.Name, err)
			return s.rollback(err, nil)
		}
		s.stopped = append(s.stopped, u)
	}
	for _, u := range s.plan.Start {
		if err := s.newDep.Start(s.ctx, s.plan.New, u); err != nil {
			err = fmt.Errorf("starting %s failed: %w", u.Name, err)
			return s.rollback(err, &u)
		}
		s.started = append(s.started, u)
	}
	if h, ok := s.newDep.(SwitchHooks); ok {
		if err := h.AfterStart(s.ctx, s.plan.Old, s.plan.New); err != nil {
			return s.rollback(err, nil)
		}
	}
	return nil
}

// rollback stops what this switch started (the failed unit too, in case it
// is half up) and starts again what it stopped, from the old profile.
func (s *switcher) rollback(cause error, failed *Unit) error {
	fmt.Fprintf(s.stderr(), "nixproc: %v; restoring the previous deployment\n", cause)
	var problems []error
	if failed != nil {
		_ = s.newDep.Stop(s.ctx, s.plan.New, *failed)
	}
	for i := len(s.started) - 1; i >= 0; i-- {
		if err := s.newDep.Stop(s.ctx, s.plan.New, s.started[i]); err != nil {
			problems = append(problems, fmt.Errorf("stopping %s: %w", s.started[i].Name, err))
		}
	}
	// Hooks run also when nothing was deployed before (Old.Path == ""), so
	// a manager's configuration does not keep a failed first deployment.
	if h, ok := s.oldDep.(SwitchHooks); ok {
		if err := h.BeforeStop(s.ctx, s.plan.New, s.plan.Old); err != nil {
			problems = append(problems, err)
		}
	}
	for i := len(s.stopped) - 1; i >= 0; i-- {
		if err := s.oldDep.Start(s.ctx, s.plan.Old, s.stopped[i]); err != nil {
			problems = append(problems, fmt.Errorf("starting %s again: %w", s.stopped[i].Name, err))
		}
	}
	if h, ok := s.oldDep.(SwitchHooks); ok {
		if err := h.AfterStart(s.ctx, s.plan.New, s.plan.Old); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w; restoring the previous deployment also failed: %v", cause, errors.Join(problems...))
	}
	return cause
}

func appendNew(list, add []string) []string {
	seen := map[string]bool{}
	for _, x := range list {
		seen[x] = true
	}
	for _, x := range add {
		if !seen[x] {
			list = append(list, x)
			seen[x] = true
		}
	}
	return list
}

func remove(list, drop []string) []string {
	d := map[string]bool{}
	for _, x := range drop {
		d[x] = true
	}
	out := list[:0:0]
	for _, x := range list {
		if !d[x] {
			out = append(out, x)
		}
	}
	return out
}
