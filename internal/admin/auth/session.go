package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/staff"
)

// Session timeouts (ASVS 5.0 7.3.1–7.3.2; the ASVS 4.0.3 L2 figures).
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// PendingTimeout bounds the steps between password and second factor
	// or shop choice.
	PendingTimeout = 5 * time.Minute
	// touchEvery limits last_seen_at writes to one a minute per session.
	touchEvery = time.Minute
)

// Stage is how far a session has come.
type Stage string

// The stages of a session.
const (
	StageChoose Stage = "choose" // password verified in several shops; a shop must be chosen
	StageTOTP   Stage = "totp"   // password verified; the second factor is due
	StageFull   Stage = "full"   // signed in
)

// Session is a stored session with its user, as read for a request.
type Session struct {
	Hash       string // SHA-256 of the token, hex
	ShopID     string
	User       staff.User // zero in StageChoose
	Stage      Stage
	Candidates []string // StageChoose: staff user IDs to choose from
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Service keeps sessions, the throttle and accounts.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	hashes atomic.Int64 // password hashes computed by sign-ins (tests check unknown emails cost one too)
}

// NewService returns the auth service.
func NewService(d *db.DB, c clock.Clock) *Service { return &Service{db: d, clock: c} }

// Now is the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// errNoSession is what every invalid, expired or unknown token gets.
var errNoSession = errs.New(errs.ErrUnauthorized, "no_session", "not signed in")

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// NewSessionParams is the input of NewSession.
type NewSessionParams struct {
	ShopID     string
	UserID     string
	Stage      Stage
	Candidates []string
	Replaces   string // the token of a session this one replaces ("" for none); it is deleted
}

const (
	insertSession = `INSERT INTO admin_sessions (id_hash, shop_id, user_id, stage, candidates, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`
	deleteSession = `DELETE FROM admin_sessions WHERE id_hash = $1`
)

// NewSession stores a new session and returns its token (the cookie
// value), deleting the session it replaces in the same transaction.
func (s *Service) NewSession(ctx context.Context, tx db.DBTX, p NewSessionParams) (string, error) {
	tok := base64.RawURLEncoding.EncodeToString(id.Secret(32))
	if p.Replaces != "" {
		if _, err := tx.ExecContext(ctx, deleteSession, hashToken(p.Replaces)); err != nil {
			return "", fmt.Errorf("delete replaced session: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, insertSession, hashToken(tok), p.ShopID, p.UserID, string(p.Stage),
		strings.Join(p.Candidates, " "), s.clock.Now()); err != nil {
		return "", fmt.Errorf("insert session: %w", err)
	}
	return tok, nil
}

const selectSession = `SELECT s.id_hash, s.shop_id, s.stage, s.candidates, s.created_at, s.last_seen_at,
		COALESCE(u.id, ''), COALESCE(u.email, ''), COALESCE(u.name, ''), COALESCE(u.role, ''), u.disabled_at
	FROM admin_sessions s LEFT JOIN staff_users u ON u.id = s.user_id AND u.shop_id = s.shop_id
	WHERE s.id_hash = $1`

// Lookup returns the live session of a token. Unknown, expired and
// disabled users' sessions are all errNoSession (expired ones are deleted).
func (s *Service) Lookup(ctx context.Context, tok string) (Session, error) {
	if tok == "" || len(tok) > 100 {
		return Session{}, errNoSession
	}
	var ss Session
	var cands string
	var disabled sql.NullTime
	err := s.db.QueryRowContext(ctx, selectSession, hashToken(tok)).Scan(&ss.Hash, &ss.ShopID, &ss.Stage, &cands,
		&ss.CreatedAt, &ss.LastSeenAt, &ss.User.ID, &ss.User.Email, &ss.User.Name, &ss.User.Role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up session: %w", err)
	}
	ss.User.ShopID = ss.ShopID
	if cands != "" {
		ss.Candidates = strings.Fields(cands)
	}
	now := s.clock.Now()
	expired := now.Sub(ss.LastSeenAt) > IdleTimeout || now.Sub(ss.CreatedAt) > AbsoluteTimeout ||
		(ss.Stage != StageFull && now.Sub(ss.CreatedAt) > PendingTimeout) ||
		(ss.Stage != StageChoose && (ss.User.ID == "" || disabled.Valid))
	if expired {
		if _, err := s.db.ExecContext(ctx, deleteSession, ss.Hash); err != nil {
			return Session{}, fmt.Errorf("delete expired session: %w", err)
		}
		return Session{}, errNoSession
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE admin_sessions SET last_seen_at = $2 WHERE id_hash = $1`, ss.Hash, now); err != nil {
			return Session{}, fmt.Errorf("touch session: %w", err)
		}
		ss.LastSeenAt = now
	}
	return ss, nil
}

// EndSession deletes the session of a token (logout).
func (s *Service) EndSession(ctx context.Context, tx db.DBTX, tok string) error {
	if _, err := tx.ExecContext(ctx, deleteSession, hashToken(tok)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndUserSessions deletes every session of a staff user.
func EndUserSessions(ctx context.Context, tx db.DBTX, shopID, userID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE shop_id = $1 AND user_id = $2`, shopID, userID); err != nil {
		return fmt.Errorf("end user sessions: %w", err)
	}
	return nil
}

// PurgeExpired deletes sessions past their absolute timeout and throttle
// rows older than the longest window; it returns how many rows went.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	res, err := s.db.ExecContext(ctx, `DELETE FROM admin_sessions WHERE created_at < $1`, now.Add(-AbsoluteTimeout))
	if err != nil {
		return 0, fmt.Errorf("purge sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	res, err = s.db.ExecContext(ctx, `DELETE FROM admin_login_failures WHERE at < $1`, now.Add(-AccountWindow))
	if err != nil {
		return n, fmt.Errorf("purge login failures: %w", err)
	}
	m, _ := res.RowsAffected()
	return n + m, nil
}
