package live

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"pejl/internal/forum"
)

// room is one session on this instance. Its goroutine (run) is the only one that
// broadcasts; joins and leaves come from connection goroutines under mu. Everything a
// broadcast and a welcome both read (the sockets, the state last sent) is under mu, so
// that a welcome is always followed by exactly the broadcasts after it.
type room struct {
	hub    *Hub
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed once the first load is done; loadErr says how it went
	// loadErr is written before ready is closed.
	loadErr error

	refs int  // sockets joined or joining; under hub.mu
	dead bool // removed from hub.rooms; under hub.mu

	events   chan forum.Event
	missed   atomic.Bool // an event was dropped: reload everything
	facJoins chan *facJoin
	poke     chan struct{}

	mu          sync.Mutex
	parts       map[*conn]struct{}
	facs        map[*conn]struct{}
	presenters  int // presenter sockets among facs
	partCount   int64
	groupCounts map[string]int64 // connected participants per group id
	presChanged bool
	closed      bool // the session is gone: no more joins
	st          roomState

	// Owned by the run goroutine.
	tracks     map[string]*track
	polledV    int64                         // the session version whose tallies have all been read
	commenters map[string]*forum.Respondents // activity → who commented (see commenter)
	commented  map[[2]string]bool            // activity, participant pairs counted in commenters
	// walls: the presenter's comment walls read so far for the session as wallsOf has it
	// (activity → comments as forum.CommentsFor(ForPresenter) gives them), kept up to
	// date by pushComment and read again after a reload.
	walls       map[string][]forum.Comment
	wallsOf     *forum.Session
	presWritten time.Time
	presRead    time.Time
	presDirty   bool
	lastPres    *presenceBody
	wrotePres   bool
	beacon      *frame
	beaconKey   string
	troubled    bool
}

// roomState is the session as last sent to the room's sockets.
type roomState struct {
	sess      *forum.Session // never changed once loaded: a reload replaces it
	epoch     string
	version   int64 // the version every state, welcome and beacon of this state carries
	snap      *forum.Snapshot
	snapJSON  []byte
	snapDirty bool // snap was patched (tally, comment) since snapJSON was made
}

// track is the room's knowledge of one activity's tally.
type track struct {
	known     bool
	v         int64 // the tally's "_v" when last read
	at        int64 // the session version it was read at
	tally     map[string]int64
	readAgain bool // read once more although closed (it was open until the last state)
	facDirty  bool
	partDirty bool
	fac, part throttle
}

type facJoin struct {
	c     *conn
	reply chan error
}

func newRoom(h *Hub, id string) *room {
	ctx, cancel := context.WithCancel(h.ctx)
	return &room{
		hub: h, id: id, ctx: ctx, cancel: cancel,
		ready:       make(chan struct{}),
		events:      make(chan forum.Event, 256),
		facJoins:    make(chan *facJoin),
		poke:        make(chan struct{}, 1),
		parts:       map[*conn]struct{}{},
		facs:        map[*conn]struct{}{},
		groupCounts: map[string]int64{},
		tracks:      map[string]*track{},
	}
}

// joinRoom returns the session's room, started and loaded, holding a reference that the
// caller gives back with releaseRoom (or room.leave).
func (h *Hub) joinRoom(ctx context.Context, sessionID string) (*room, error) {
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		return nil, forum.ErrUnavailable
	}
	r := h.rooms[sessionID]
	if r == nil {
		r = newRoom(h, sessionID)
		h.rooms[sessionID] = r
		h.roomWG.Add(1)
		h.met.rooms.Inc()
		go r.run()
	}
	r.refs++
	h.mu.Unlock()
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.releaseRoom(r)
		return nil, forum.ErrUnavailable
	}
	if r.loadErr != nil {
		h.releaseRoom(r)
		return nil, r.loadErr
	}
	return r, nil
}

// releaseRoom gives back a reference; the last one stops the room.
func (h *Hub) releaseRoom(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.refs--
	if r.refs == 0 && !r.dead {
		r.retireLocked()
	}
}

// retireLocked removes the room from the hub and stops it; under hub.mu.
func (r *room) retireLocked() {
	r.dead = true
	if r.hub.rooms[r.id] == r {
		delete(r.hub.rooms, r.id)
	}
	r.cancel()
}

func (r *room) retire() {
	r.hub.mu.Lock()
	defer r.hub.mu.Unlock()
	if !r.dead {
		r.retireLocked()
	}
}

func (r *room) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.ctx, r.hub.cfg.OpTimeout)
}

func (r *room) run() {
	h := r.hub
	defer h.roomWG.Done()
	defer h.met.rooms.Dec()
	defer r.cancel()
	err := h.eng.Subscribe(r.ctx, r.id, r.onEvent)
	if err == nil {
		ctx, cancel := r.opCtx()
		err = r.reload(ctx, true)
		cancel()
	}
	if err != nil {
		if forum.ErrorCode(err) != forum.ENotFound {
			h.log.Warn("live: cannot load session", "session", r.id, "err", err)
			err = forum.ErrUnavailable
		}
		r.loadErr = err
		r.retire()
		close(r.ready)
		return
	}
	close(r.ready)
	defer r.clearPresence()

	cfg := h.cfg
	tallyT := time.NewTicker(cfg.FacilitatorTallyEvery)
	defer tallyT.Stop()
	beaconT := time.NewTicker(cfg.BeaconEvery)
	defer beaconT.Stop()
	checkT := time.NewTicker(cfg.StateCheckEvery)
	defer checkT.Stop()
	presT := time.NewTicker(time.Second)
	defer presT.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case ev := <-r.events:
			r.handleEvents(ev)
		case j := <-r.facJoins:
			j.reply <- r.welcomeFacilitator(j.c)
		case <-r.poke:
			r.checkState(false)
		case <-tallyT.C:
			r.pollTallies()
		case <-beaconT.C:
			r.sendBeacon()
		case <-checkT.C:
			r.checkState(false)
		case <-presT.C:
			r.presenceTick()
			r.timerTick()
		}
		if r.missed.Swap(false) {
			h.log.Warn("live: events dropped; reloading the session", "session", r.id)
			r.checkState(true)
		}
	}
}

// onEvent is the Broker callback: it must not block.
func (r *room) onEvent(ev forum.Event) {
	select {
	case r.events <- ev:
	default:
		r.missed.Store(true)
	}
}

func (r *room) handleEvents(first forum.Event) {
	state, presence := false, false
	var comments []string
	seen := map[string]bool{}
	handle := func(ev forum.Event) bool {
		switch ev.Kind {
		case forum.EventDeleted:
			return true
		case forum.EventState:
			state = true
		case forum.EventPresence:
			presence = true
		case forum.EventComment:
			if ev.Comment != "" && !seen[ev.Comment] {
				seen[ev.Comment] = true
				comments = append(comments, ev.Comment)
			}
		}
		return false
	}
	if handle(first) {
		r.gone("session deleted", nil)
		return
	}
	for more := len(r.events); more > 0; more-- {
		if handle(<-r.events) {
			r.gone("session deleted", nil)
			return
		}
	}
	if presence {
		r.presDirty = true
	}
	if state {
		r.checkState(false) // sends a state only if the session changed since the last one
	}
	for _, id := range comments {
		r.pushComment(id)
	}
}

// ---- state ----

// reload loads the session and, when it changed (or force), makes and sends the new
// state to every socket: one encoding per audience.
func (r *room) reload(ctx context.Context, force bool) error {
	h := r.hub
	epoch, v, err := h.eng.Version(ctx, r.id)
	if err != nil {
		if errors.Is(err, forum.ErrNotFound) {
			return forum.Errorf(forum.ENotFound, "There is no session %q.", r.id)
		}
		return err
	}
	sess, err := h.svc.SessionByID(ctx, r.id)
	if err != nil {
		return err
	}
	// sess, epoch and version are written only by this goroutine: no lock to read them.
	oldSess, oldEpoch, oldVersion := r.st.sess, r.st.epoch, r.st.version
	// A survey's window opens and closes by time, without a write: its state moves then too.
	windowMoved := oldSess != nil && sess.SelfPaced() && r.st.snap != nil &&
		r.st.snap.State != sess.StateAt(h.svc.Config().Now().UTC())
	if !force && oldSess != nil && epoch == oldEpoch && sess.Rev == oldSess.Rev && !windowMoved {
		return nil
	}
	snap, err := h.svc.Snapshot(ctx, sess)
	if err != nil {
		return err
	}
	snapJSON, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	label := v
	if epoch == oldEpoch && label < oldVersion {
		label = oldVersion
	}
	st := roomState{sess: sess, epoch: epoch, version: label, snap: snap, snapJSON: snapJSON}
	if oldSess != nil {
		for _, a := range oldSess.Activities {
			if a.State == forum.ActivityOpen {
				r.trackOf(a.ID).readAgain = true
			}
		}
		// A word taken off a cloud (or a blocked word) changes what its tally shows
		// though the tally itself has not moved: send it again.
		for _, a := range sess.Activities {
			if a.Kind == forum.KindWords && (!slices.Equal(oldSess.HiddenWords[a.ID], sess.HiddenWords[a.ID]) || !slices.Equal(oldSess.Blocked(), sess.Blocked())) {
				tr := r.trackOf(a.ID)
				tr.readAgain, tr.known = true, false
			}
		}
	}
	first := oldSess == nil
	var partF, facF *frame
	if !first {
		now := serverNow()
		partF = h.frameOf(stateMsg{Type: "state", Epoch: epoch, Version: label, Session: snapJSON, Now: now}, true)
		facF = h.frameOf(stateMsg{Type: "state", Epoch: epoch, Version: label, Session: snapJSON,
			Activities: sess.Activities, Now: now}, true)
	}
	r.mu.Lock()
	r.st = st
	if !first {
		r.broadcastLocked(r.parts, partF)
		r.broadcastLocked(r.facs, facF)
	}
	r.mu.Unlock()
	if !first {
		h.met.broadcasts.WithLabelValues("state").Inc()
	}
	return nil
}

// checkState reloads and sends the state if it changed; it repairs lost events and
// notices lost data.
func (r *room) checkState(force bool) {
	ctx, cancel := r.opCtx()
	defer cancel()
	err := r.reload(ctx, force)
	switch {
	case err == nil:
		r.ok()
	case forum.ErrorCode(err) == forum.ENotFound:
		r.gone("session no longer exists", &alertMsg{Type: "alert", Code: "session_gone",
			Message: "This session is no longer in storage: it was deleted, or the storage lost its data."})
	default:
		r.trouble("state", err)
	}
}

// gone closes every socket with 4500 (after an alert to facilitators, if any) and stops
// the room.
func (r *room) gone(reason string, alert *alertMsg) {
	r.hub.log.Info("live: session gone; closing its sockets", "session", r.id, "reason", reason)
	var f *frame
	if alert != nil {
		f = r.hub.frameOf(*alert, false)
	}
	r.mu.Lock()
	r.closed = true
	for c := range r.facs {
		if f != nil {
			c.enqueue(f)
		}
		c.stop(CloseSessionGone, reason, true)
	}
	for c := range r.parts {
		c.stop(CloseSessionGone, reason, true)
	}
	r.mu.Unlock()
	r.retire()
}

func (r *room) session() *forum.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.sess
}

// snapJSONLocked returns the participant snapshot, re-encoded if it was patched.
func (r *room) snapJSONLocked() json.RawMessage {
	if r.st.snapDirty {
		if b, err := json.Marshal(r.st.snap); err == nil {
			r.st.snapJSON = b
		}
		r.st.snapDirty = false
	}
	return r.st.snapJSON
}

// broadcastFacsLocked queues fac on every facilitator socket and pres on every presenter
// socket (nothing if pres is nil). Under mu.
func (r *room) broadcastFacsLocked(fac, pres *frame) {
	for c := range r.facs {
		f := fac
		if c.presenter {
			f = pres
		}
		if f != nil && !c.enqueue(f) {
			r.removeLocked(c)
		}
	}
}

// broadcastLocked queues one frame on every socket of a set; a socket whose queue is full
// is closed (4000) and leaves the set. Under mu.
func (r *room) broadcastLocked(set map[*conn]struct{}, f *frame) {
	if f == nil {
		return
	}
	for c := range set {
		if !c.enqueue(f) {
			r.removeLocked(c)
		}
	}
}

func (r *room) removeLocked(c *conn) {
	if _, ok := r.parts[c]; ok {
		delete(r.parts, c)
		r.partCount--
		if c.part != nil && c.part.Group != "" {
			if r.groupCounts[c.part.Group]--; r.groupCounts[c.part.Group] <= 0 {
				delete(r.groupCounts, c.part.Group)
			}
		}
		r.presChanged = true
	}
	if _, ok := r.facs[c]; ok && c.presenter {
		r.presenters--
	}
	delete(r.facs, c)
}

// ---- joining and leaving ----

// addParticipant registers a participant's socket and queues its welcome, built from the
// state the room last sent, so nothing between them is missed.
func (r *room) addParticipant(c *conn, token string, mine *forum.Mine) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errRoomGone
	}
	f := r.hub.frameOf(participantWelcome{Type: "welcome", Participant: token, Epoch: r.st.epoch,
		Version: r.st.version, Session: r.snapJSONLocked(), Mine: mine, Now: serverNow()}, false)
	if f == nil {
		return forum.Errorf(forum.EInternal, "cannot encode the welcome")
	}
	r.parts[c] = struct{}{}
	r.partCount++
	if c.part.Group != "" {
		r.groupCounts[c.part.Group]++
	}
	r.presChanged = true
	c.enqueue(f)
	return nil
}

// joinFacilitator has the room goroutine build the facilitator's welcome, so that the
// tallies and comments in it are followed by exactly the updates after them. It waits for
// the room to take the join at most until ctx ends; once taken, the room answers within
// its own engine timeout.
func (r *room) joinFacilitator(ctx context.Context, c *conn) error {
	j := &facJoin{c: c, reply: make(chan error, 1)}
	select {
	case r.facJoins <- j:
	case <-r.ctx.Done():
		return errRoomGone
	case <-ctx.Done():
		return forum.ErrUnavailable
	}
	return <-j.reply
}

func (r *room) welcomeFacilitator(c *conn) error {
	h := r.hub
	ctx, cancel := r.opCtx()
	defer cancel()
	view, err := h.svc.ViewOf(ctx, r.st.sess)
	if err != nil {
		return err
	}
	comments, err := h.svc.FacilitatorComments(ctx, r.st.sess)
	if err != nil {
		return err
	}
	var walls map[string][]string
	if c.presenter {
		if walls, err = r.presenterView(ctx, view.Activities, &comments); err != nil {
			return err
		}
	}
	pres, err := r.readPresence(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errRoomGone
	}
	f := h.frameOf(facilitatorWelcome{Type: "welcome", Epoch: r.st.epoch, Version: r.st.version,
		Session: r.snapJSONLocked(), Activities: view.Activities, Presence: pres, Comments: comments, Walls: walls, Now: serverNow()}, false)
	if f == nil {
		return forum.Errorf(forum.EInternal, "cannot encode the welcome")
	}
	r.facs[c] = struct{}{}
	if c.presenter {
		r.presenters++
	}
	c.enqueue(f)
	return nil
}

// presenterView turns the facilitator's activities and comments into what the presenter
// gets (forum.ForPresenter): figures only from ResultsFrom answers, groups by the rule,
// comments without authors and without hidden ones, in the order every view lists them,
// and each shown comments activity's wall (its comment ids in that order).
func (r *room) presenterView(ctx context.Context, acts []forum.ActivityView, comments *[]forum.Comment) (map[string][]string, error) {
	sess := r.st.sess
	var out []forum.Comment
	walls := map[string][]string{}
	for i := range acts {
		a := &acts[i].Activity
		res, per, ok, err := r.hub.svc.ActivityResults(ctx, forum.ForPresenter, sess, a)
		if err != nil {
			return nil, err
		}
		acts[i].Tally, acts[i].Groups = nil, nil
		if ok && a.Layout() == forum.LayoutComments {
			out = append(out, res.Comments...)
			walls[a.ID] = commentIDs(res.Comments)
		} else if ok {
			acts[i].Tally, acts[i].Groups = &res, per
		}
	}
	if out == nil {
		out = []forum.Comment{}
	}
	*comments = out
	return walls, nil
}

func commentIDs(cs []forum.Comment) []string {
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	return ids
}

// wallAfter returns the presenter's wall of activity a (see roomState.walls) after comment
// cm changed, as a frame for presenter sockets; nil when no presenter is connected or the
// wall cannot be read (the next welcome has it again). Run goroutine.
func (r *room) wallAfter(a *forum.Activity, cm *forum.Comment) *frame {
	r.mu.Lock()
	npres := r.presenters
	r.mu.Unlock()
	if a == nil || npres == 0 {
		return nil
	}
	sess := r.st.sess
	if r.wallsOf != sess {
		r.walls, r.wallsOf = map[string][]forum.Comment{}, sess
	}
	list, known := r.walls[a.ID]
	if !known {
		ctx, cancel := r.opCtx()
		defer cancel()
		res, _, ok, err := r.hub.svc.ActivityResults(ctx, forum.ForPresenter, sess, a)
		if err != nil {
			r.trouble("comments", err)
			return nil
		}
		if ok {
			list = res.Comments
		}
	}
	list = forum.UpsertComment(forum.ForPresenter, sess, a, list, *cm, nil, "")
	r.walls[a.ID] = list
	return r.hub.frameOf(wallMsg{Type: "wall", Activity: a.ID, Comments: commentIDs(list)}, true)
}

// leave unregisters a socket and gives back its reference.
func (r *room) leave(c *conn) {
	r.mu.Lock()
	r.removeLocked(c)
	r.mu.Unlock()
	r.hub.releaseRoom(r)
}

// sendState queues the current state for one socket (resync).
func (r *room) sendState(c *conn, mine *forum.Mine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := stateMsg{Type: "state", Epoch: r.st.epoch, Version: r.st.version, Session: r.snapJSONLocked(), Mine: mine, Now: serverNow()}
	if c.facilitator {
		msg.Activities = r.st.sess.Activities
	}
	c.enqueue(r.hub.frameOf(msg, false))
}

func (r *room) pokeState() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// timerTick closes the activity of a countdown that ran out (any instance may; the first
// one does it).
func (r *room) timerTick() {
	sess := r.session()
	if sess == nil || !r.hub.svc.TimerDue(sess) {
		return
	}
	ctx, cancel := r.opCtx()
	defer cancel()
	if err := r.hub.svc.ExpireTimer(ctx, r.id); err != nil {
		r.hub.log.Warn("live: cannot close an activity whose timer ran out", "session", r.id, "err", err)
	}
}

// ---- beacon ----

func (r *room) sendBeacon() {
	key := r.st.epoch + "\x00" + itoa(r.st.version)
	if r.beacon == nil || key != r.beaconKey {
		r.beacon = r.hub.frameOf(beaconMsg{Type: "beacon", Epoch: r.st.epoch, Version: r.st.version}, true)
		r.beaconKey = key
	}
	r.mu.Lock()
	r.broadcastLocked(r.parts, r.beacon)
	r.broadcastLocked(r.facs, r.beacon)
	r.mu.Unlock()
}

// ---- comments ----

func (r *room) pushComment(id string) {
	h := r.hub
	ctx, cancel := r.opCtx()
	defer cancel()
	cm, err := h.eng.Comment(ctx, r.id, id)
	if err != nil {
		if !errors.Is(err, forum.ErrNotFound) {
			r.trouble("comment", err)
		}
		return
	}
	sess := r.st.sess
	a, _ := sess.Activity(cm.Activity)
	full := forum.CommentAs(forum.ForFacilitator, *cm, forum.CommentRows(sess, r.commenter(cm)))
	facF := h.frameOf(commentMsg{Type: "comment", Comment: fullComment(&full)}, true)
	var pubF, mineF, presF, wallF *frame
	if forum.SeesComment(forum.ForPresenter, sess, a, cm, "") || forum.RetractsComment(forum.ForPresenter, sess, a, cm) {
		pres := forum.CommentAs(forum.ForPresenter, *cm, nil)
		presF = h.frameOf(commentMsg{Type: "comment", Comment: publicComment(&pres, false, false)}, true)
		wallF = r.wallAfter(a, cm)
	}
	if forum.SeesComment(forum.ForParticipant, sess, a, cm, "") || forum.RetractsComment(forum.ForParticipant, sess, a, cm) {
		pub := forum.CommentAs(forum.ForParticipant, *cm, nil)
		pubF = h.frameOf(commentMsg{Type: "comment", Comment: publicComment(&pub, false, false)}, true)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcastFacsLocked(facF, presF)
	r.broadcastFacsLocked(nil, wallF)
	for c := range r.parts {
		f := pubF
		if c.part.ID == cm.Participant && forum.SeesComment(forum.ForParticipant, sess, a, cm, c.part.ID) {
			if mineF == nil {
				b := fullComment(cm)
				b.Participant, b.Group, b.Mine = "", "", true
				mineF = h.frameOf(commentMsg{Type: "comment", Comment: b}, false)
			}
			f = mineF
		}
		if f != nil && !c.enqueue(f) {
			r.removeLocked(c)
		}
	}
	r.patchCommentLocked(a, cm)
	h.met.broadcasts.WithLabelValues("comment").Inc()
}

// commenter counts the comment's author among the people who commented on its activity
// and returns them, for the row rule of the facilitator's comment labels. The counts start
// from a scan of the session's comments the first time (and after a reload of the room).
func (r *room) commenter(cm *forum.Comment) *forum.Respondents {
	if r.commenters == nil {
		ctx, cancel := r.opCtx()
		defer cancel()
		var all []forum.Comment
		err := r.hub.svc.ScanComments(ctx, r.id, func(c forum.Comment) error {
			all = append(all, forum.Comment{Activity: c.Activity, Participant: c.Participant, Group: c.Group})
			return nil
		})
		if err != nil {
			r.trouble("comments", err)
			return &forum.Respondents{} // no labels until the counts can be read
		}
		r.commenters = forum.CommentRespondents(all)
		r.commented = map[[2]string]bool{}
		for _, c := range all {
			r.commented[[2]string{c.Activity, c.Participant}] = true
		}
	}
	k := [2]string{cm.Activity, cm.Participant}
	if !r.commented[k] {
		r.commented[k] = true
		if r.commenters[cm.Activity] == nil {
			r.commenters[cm.Activity] = &forum.Respondents{}
		}
		r.commenters[cm.Activity].Add(cm.Group)
	}
	return r.commenters[cm.Activity]
}

// patchCommentLocked puts a comment into the cached participant snapshot as participants
// now see it (or takes it out).
func (r *room) patchCommentLocked(a *forum.Activity, cm *forum.Comment) {
	for i := range r.st.snap.Activities {
		av := &r.st.snap.Activities[i]
		if av.ID != cm.Activity || av.Tally == nil {
			continue
		}
		res := forum.CommentResultsFor(forum.ForParticipant, r.st.sess, a,
			forum.UpsertComment(forum.ForParticipant, r.st.sess, a, av.Tally.Comments, *cm, nil, ""), "")
		av.Tally = &res
		r.st.snapDirty = true
	}
}

// ---- tallies ----

// pollTallies runs every FacilitatorTallyEvery: when the session version moved, it reads
// the tallies of the activities that can have changed (open ones, and those open until
// the last state), and sends each changed one, throttled per activity and audience.
func (r *room) pollTallies() {
	r.mu.Lock()
	nf, np := len(r.facs), len(r.parts)
	r.mu.Unlock()
	if nf+np == 0 {
		return
	}
	h := r.hub
	ctx, cancel := r.opCtx()
	defer cancel()
	epoch, v, err := h.eng.Version(ctx, r.id)
	if errors.Is(err, forum.ErrNotFound) {
		r.checkState(false)
		return
	}
	if err != nil {
		r.trouble("version", err)
		return
	}
	r.ok()
	if epoch != r.st.epoch {
		r.epochChanged(epoch)
		return
	}
	if v != r.polledV && r.readTallies(ctx, v) {
		r.polledV = v
	}
	r.flushTallies(time.Now(), nf, np)
}

// readTallies reads, at session version v, the tallies that can have changed and marks
// those that did. It reports false if a read failed: the next poll reads again, even if
// the version has not moved since (the tallies read already are skipped by their "_v").
func (r *room) readTallies(ctx context.Context, v int64) bool {
	sess := r.st.sess
	for i := range sess.Activities {
		a := &sess.Activities[i]
		if a.Layout() == forum.LayoutComments {
			continue
		}
		tr := r.trackOf(a.ID)
		// A survey takes answers to every activity while it runs (its window is checked by
		// the Service), so every tally can move.
		survey := sess.SelfPaced() && sess.State != forum.StateEnded
		if a.State != forum.ActivityOpen && !survey && !tr.readAgain {
			continue
		}
		t, err := r.hub.eng.Tally(ctx, r.id, a.ID)
		if err != nil {
			r.trouble("tally", err)
			return false
		}
		tr.readAgain = false
		if tr.known && t["_v"] == tr.v {
			continue
		}
		tr.known, tr.v, tr.at, tr.tally = true, t["_v"], v, t
		tr.facDirty, tr.partDirty = true, true
	}
	return true
}

func (r *room) trackOf(id string) *track {
	tr := r.tracks[id]
	if tr == nil {
		cfg := r.hub.cfg
		tr = &track{fac: newThrottle(cfg.FacilitatorTallyEvery), part: newThrottle(cfg.ParticipantTallyEvery)}
		r.tracks[id] = tr
	}
	return tr
}

func (r *room) flushTallies(now time.Time, nf, np int) {
	h := r.hub
	sess := r.st.sess
	for id, tr := range r.tracks {
		if !tr.facDirty && !tr.partDirty {
			continue
		}
		a, ok := sess.Activity(id)
		if !ok {
			delete(r.tracks, id)
			continue
		}
		if tr.facDirty && nf == 0 {
			tr.facDirty = false
		}
		if tr.facDirty && tr.fac.allow(now) {
			tr.facDirty = false
			tr.fac.record(now)
			total, per, _ := forum.TallyFor(forum.ForFacilitator, sess, a, tr.tally)
			n := forum.Answered(total)
			msg := tallyMsg{Type: "tally", Activity: id, Version: tr.at, Results: total, Groups: per, Respondents: &n}
			f := h.frameOf(msg, true)
			var pf *frame
			r.mu.Lock()
			npres := r.presenters
			r.mu.Unlock()
			if npres > 0 {
				total, per, _ := forum.TallyFor(forum.ForPresenter, sess, a, tr.tally)
				pf = h.frameOf(tallyMsg{Type: "tally", Activity: id, Version: tr.at, Results: total, Groups: per, Respondents: &n}, true)
			}
			r.mu.Lock()
			r.broadcastFacsLocked(f, pf)
			r.mu.Unlock()
			h.met.broadcasts.WithLabelValues("tally_facilitator").Inc()
		}
		res, _, seen := forum.TallyFor(forum.ForParticipant, sess, a, tr.tally)
		if !seen {
			tr.partDirty = false
		}
		if tr.partDirty && tr.part.allow(now) {
			tr.partDirty = false
			tr.part.record(now)
			var f *frame
			if np > 0 {
				f = h.frameOf(tallyMsg{Type: "tally", Activity: id, Version: tr.at, Results: res}, true)
			}
			r.mu.Lock()
			r.broadcastLocked(r.parts, f)
			for i := range r.st.snap.Activities {
				if av := &r.st.snap.Activities[i]; av.ID == id && av.Tally != nil {
					av.Tally = &res
					r.st.snapDirty = true
				}
			}
			r.mu.Unlock()
			if f != nil {
				h.met.broadcasts.WithLabelValues("tally_participant").Inc()
			}
		}
	}
}

// epochChanged: the engine lost the session's data and started it again. Facilitators
// are alerted, everyone gets the state as it is now, tallies are read afresh.
func (r *room) epochChanged(epoch string) {
	h := r.hub
	h.log.Warn("live: session epoch changed: the storage lost data", "session", r.id,
		"old_epoch", r.st.epoch, "new_epoch", epoch)
	f := h.frameOf(alertMsg{Type: "alert", Code: "data_lost", Epoch: epoch,
		Message: "The storage lost this session's data and started it again. Results now show only what was stored since; ask participants to answer again."}, false)
	r.mu.Lock()
	r.broadcastLocked(r.facs, f)
	r.mu.Unlock()
	r.tracks = map[string]*track{}
	r.polledV = 0
	r.commenters, r.commented = nil, nil
	r.checkState(true)
}

// ---- presence ----

func (r *room) presenceTick() {
	h := r.hub
	now := time.Now()
	r.mu.Lock()
	changed := r.presChanged
	r.presChanged = false
	total := r.partCount
	groups := maps.Clone(r.groupCounts)
	nf := len(r.facs)
	r.mu.Unlock()
	ctx, cancel := r.opCtx()
	defer cancel()
	if changed || now.Sub(r.presWritten) >= h.cfg.PresenceEvery {
		err := h.eng.SetPresence(ctx, r.id, h.cfg.Instance, total, groups, 3*h.cfg.PresenceEvery)
		if err != nil {
			r.trouble("presence", err)
			r.mu.Lock()
			r.presChanged = r.presChanged || changed
			r.mu.Unlock()
		} else {
			r.presWritten, r.wrotePres = now, true
			if changed {
				_ = h.eng.Publish(ctx, forum.Event{Kind: forum.EventPresence, Session: r.id})
				r.presDirty = true
			}
		}
	}
	if nf == 0 {
		return
	}
	if r.presDirty || now.Sub(r.presRead) >= 5*time.Second {
		r.presDirty = false
		r.presRead = now
		if pres, err := r.readPresence(ctx); err == nil && !samePresence(pres, r.lastPres) {
			r.lastPres = pres
			f := h.frameOf(presenceMsg{Type: "presence", presenceBody: *pres}, true)
			r.mu.Lock()
			r.broadcastLocked(r.facs, f)
			r.mu.Unlock()
		}
	}
}

// readPresence reads the connected counts of every instance, with groups shown only as the
// anonymity rule allows (forum.VisibleGroups).
func (r *room) readPresence(ctx context.Context) (*presenceBody, error) {
	total, groups, err := r.hub.eng.Presence(ctx, r.id)
	if err != nil {
		return nil, err
	}
	return &presenceBody{Count: total, Groups: forum.GroupCounts(forum.VisibleGroups(r.st.sess, total, groups))}, nil
}

func samePresence(a, b *presenceBody) bool {
	return a != nil && b != nil && a.Count == b.Count && maps.Equal(a.Groups, b.Groups)
}

// clearPresence zeroes this instance's presence record when the room stops, unless a
// new room for the session took over meanwhile.
func (r *room) clearPresence() {
	h := r.hub
	if !r.wrotePres {
		return
	}
	h.mu.Lock()
	replaced := h.rooms[r.id] != nil
	h.mu.Unlock()
	if replaced {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = h.eng.SetPresence(ctx, r.id, h.cfg.Instance, 0, nil, 3*h.cfg.PresenceEvery)
	_ = h.eng.Publish(ctx, forum.Event{Kind: forum.EventPresence, Session: r.id})
}

// ---- engine trouble ----

func (r *room) trouble(what string, err error) {
	if r.ctx.Err() != nil {
		return
	}
	if !r.troubled {
		r.troubled = true
		r.hub.log.Warn("live: storage trouble; sockets stay open and catch up when it is back",
			"session", r.id, "during", what, "err", err)
	}
}

func (r *room) ok() {
	if r.troubled {
		r.troubled = false
		r.hub.log.Info("live: storage reachable again", "session", r.id)
	}
}

// ---- encoding ----

// frameOf encodes a message once; prepared frames are for broadcasts (gorilla frames
// them once for every socket). It returns nil, after logging, if v cannot be encoded.
func (h *Hub) frameOf(v any, prepared bool) *frame {
	b, err := json.Marshal(v)
	if err != nil {
		h.log.Error("live: cannot encode a message", "err", err)
		return nil
	}
	if !prepared {
		return &frame{data: b}
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		h.log.Error("live: cannot prepare a message", "err", err)
		return nil
	}
	return &frame{pm: pm}
}

// throttle allows at most one event per min and at most n events in any second.
type throttle struct {
	min   time.Duration
	times []time.Time // the last n events, a ring
	next  int
}

func newThrottle(period time.Duration) throttle {
	n := max(1, int(time.Second/period))
	return throttle{min: period * 3 / 4, times: make([]time.Time, n)}
}

func (t *throttle) allow(now time.Time) bool {
	last := t.times[(t.next+len(t.times)-1)%len(t.times)]
	if !last.IsZero() && now.Sub(last) < t.min {
		return false
	}
	oldest := t.times[t.next]
	return oldest.IsZero() || now.Sub(oldest) >= time.Second
}

func (t *throttle) record(now time.Time) {
	t.times[t.next] = now
	t.next = (t.next + 1) % len(t.times)
}
