package backends

import (
	"context"

	"nixproc/cmdrun"
	"nixproc/usermgmt"
)

// CreatedAccounts are the users and groups a tool created for a profile.
type CreatedAccounts struct {
	Users  []string
	Groups []string
}

// CreateProfileAccounts creates the groups and then the users of a profile
// that do not exist yet, for tools that run a profile without making it a
// generation (the stateless deploy tools), and returns the ones it created:
// on an error too, so the caller can remove them.
func CreateProfileAccounts(ctx context.Context, r cmdrun.Runner, p *Profile) (CreatedAccounts, error) {
	s, err := createAccounts(ctx, &usermgmt.Manager{Runner: r}, p)
	return CreatedAccounts{Users: s.Users, Groups: s.Groups}, err
}

// DeleteCreatedAccounts removes the users and then the groups that
// CreateProfileAccounts created, and no others.
func DeleteCreatedAccounts(ctx context.Context, r cmdrun.Runner, c CreatedAccounts) error {
	return deleteAccounts(ctx, &usermgmt.Manager{Runner: r}, accountsState{Users: c.Users, Groups: c.Groups})
}
