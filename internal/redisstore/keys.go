package redisstore

// The key schema; see the package documentation.

// Separator inside composite members and hash fields (participant NUL client id,
// participant NUL activity NUL statement). Ids never contain NUL.
const sep = "\x00"

// sessionKeys names the keys of one session; all share the hash tag {s:<id>}.
type sessionKeys struct {
	base string // "<prefix>:{s:<id>}:"
}

func (s *Store) sk(id string) sessionKeys { return sessionKeys{base: s.prefix + ":{s:" + id + "}:"} }

func (k sessionKeys) meta() string     { return k.base + "meta" }
func (k sessionKeys) open() string     { return k.base + "open" }
func (k sessionKeys) parts() string    { return k.base + "parts" }
func (k sessionKeys) tokens() string   { return k.base + "tokens" }
func (k sessionKeys) groups() string   { return k.base + "groups" }
func (k sessionKeys) votes() string    { return k.base + "votes" }
func (k sessionKeys) comments() string { return k.base + "comments" }
func (k sessionKeys) cup() string      { return k.base + "cup" }
func (k sessionKeys) cflags() string   { return k.base + "cflags" }
func (k sessionKeys) corder() string   { return k.base + "corder" }
func (k sessionKeys) seen() string     { return k.base + "seen" }
func (k sessionKeys) presence() string { return k.base + "presence" }
func (k sessionKeys) registry() string { return k.base + "keys" }
func (k sessionKeys) events() string   { return k.base + "events" }
func (k sessionKeys) tomb() string     { return k.base + "tomb" }

// Keys created per participant, activity or comment: their names relative to base are
// recorded in the registry, so that DeleteSession finds them.
func pvName(pid string) string   { return "pv:" + pid }
func tName(aid string) string    { return "t:" + aid }
func pcName(pid string) string   { return "pc:" + pid }
func upvName(cid string) string  { return "upv:" + cid }
func upmeName(pid string) string { return "upme:" + pid }

func (k sessionKeys) rel(name string) string { return k.base + name }

// fixed lists every key of a session whose name does not depend on its contents.
func (k sessionKeys) fixed() []string {
	return []string{k.meta(), k.open(), k.parts(), k.tokens(), k.groups(), k.votes(), k.comments(),
		k.cup(), k.cflags(), k.corder(), k.seen(), k.presence(), k.registry()}
}

func seenMember(pid, clientID string) string { return pid + sep + clientID }

func voteField(pid, aid, statement string) string { return pid + sep + aid + sep + statement }

// Global keys.
func (s *Store) codeKey(code string) string      { return s.prefix + ":{g}:code:" + code }
func (s *Store) sessionsKey() string             { return s.prefix + ":{g}:sessions" }
func (s *Store) ownerKey(owner string) string    { return s.prefix + ":{g}:owner:" + owner }
func (s *Store) userKey(id string) string        { return s.prefix + ":{a}:user:" + id }
func (s *Store) emailKey(email string) string    { return s.prefix + ":{a}:email:" + email }
func (s *Store) usersKey() string                { return s.prefix + ":{a}:users" }
func (s *Store) tokenKey(hash string) string     { return s.prefix + ":{a}:token:" + hash }
func (s *Store) userTokensKey(uid string) string { return s.prefix + ":{a}:tokens:" + uid }
func (s *Store) loginKey(hash string) string     { return s.prefix + ":{a}:login:" + hash }
func (s *Store) chartersKey() string             { return s.prefix + ":{c}:charters" }
func (s *Store) rateKey(key string) string       { return s.prefix + ":rl:" + key }
