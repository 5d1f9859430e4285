package app

import (
	"fmt"
	"testing"
)

// allowedSteps is the specification of each program's state machine, written
// independently of the transitions table: "program from action role -> to".
// Every combination not listed here must be refused.
var allowedSteps = map[string]State{
	"dibao applied accept clerk":                StateAccepted,
	"dibao applied incomplete clerk":            StateApplied,
	"dibao accepted visit liaison":              StateInvestigated,
	"dibao accepted visit clerk":                StateInvestigated,
	"dibao investigated notice clerk":           StateNoticed,
	"dibao noticed object clerk":                StateAccepted,
	"dibao noticed approve approver":            StateApproved,
	"dibao investigated reject approver":        StateRejected,
	"dibao noticed reject approver":             StateRejected,
	"dibao approved report clerk":               StateApproved,
	"dibao paying report clerk":                 StatePaying,
	"dibao rejected report clerk":               StateRejected,
	"dibao approved pay clerk":                  StatePaying,
	"dibao paying pay clerk":                    StatePaying,
	"dibao phasing_out pay clerk":               StatePaying,
	"dibao paying review liaison":               StatePaying,
	"dibao paying review clerk":                 StatePaying,
	"dibao phasing_out review liaison":          StatePhasingOut,
	"dibao phasing_out review clerk":            StatePhasingOut,
	"dibao paying phase_out approver":           StatePhasingOut,
	"dibao approved terminate approver":         StateTerminated,
	"dibao paying terminate approver":           StateTerminated,
	"dibao phasing_out terminate approver":      StateTerminated,
	"dibao rejected archive clerk":              StateArchived,
	"dibao terminated archive clerk":            StateArchived,
	"tekun applied accept clerk":                StateAccepted,
	"tekun applied incomplete clerk":            StateApplied,
	"tekun accepted visit liaison":              StateInvestigated,
	"tekun accepted visit clerk":                StateInvestigated,
	"tekun investigated notice clerk":           StateNoticed,
	"tekun noticed object clerk":                StateAccepted,
	"tekun noticed approve approver":            StateApproved,
	"tekun investigated reject approver":        StateRejected,
	"tekun noticed reject approver":             StateRejected,
	"tekun approved report clerk":               StateApproved,
	"tekun paying report clerk":                 StatePaying,
	"tekun rejected report clerk":               StateRejected,
	"tekun approved pay clerk":                  StatePaying,
	"tekun paying pay clerk":                    StatePaying,
	"tekun paying review liaison":               StatePaying,
	"tekun paying review clerk":                 StatePaying,
	"tekun approved terminate approver":         StateTerminated,
	"tekun paying terminate approver":           StateTerminated,
	"tekun rejected archive clerk":              StateArchived,
	"tekun terminated archive clerk":            StateArchived,
	"temporary applied accept clerk":            StateAccepted,
	"temporary applied incomplete clerk":        StateApplied,
	"temporary applied pay_first approver":      StatePaidFirst,
	"temporary accepted pay_first approver":     StatePaidFirst,
	"temporary paid_first complete clerk":       StatePaid,
	"temporary accepted visit liaison":          StateInvestigated,
	"temporary accepted visit clerk":            StateInvestigated,
	"temporary investigated notice clerk":       StateNoticed,
	"temporary noticed object clerk":            StateAccepted,
	"temporary noticed approve approver":        StateApproved,
	"temporary noticed escalate approver":       StateEscalated,
	"temporary escalated county_approve county": StateApproved,
	"temporary investigated reject approver":    StateRejected,
	"temporary noticed reject approver":         StateRejected,
	"temporary escalated reject approver":       StateRejected,
	"temporary investigated reject county":      StateRejected,
	"temporary noticed reject county":           StateRejected,
	"temporary escalated reject county":         StateRejected,
	"temporary approved pay clerk":              StatePaid,
	"temporary paid archive clerk":              StateArchived,
	"temporary rejected archive clerk":          StateArchived,
}

var allActions = []Action{ActionAccept, ActionIncomplete, ActionVisit, ActionNotice, ActionObject, ActionApprove,
	ActionReject, ActionEscalate, ActionCountyApprove, ActionReport, ActionPayFirst, ActionComplete, ActionPay,
	ActionReview, ActionPhaseOut, ActionTerminate, ActionArchive}

// TestEveryTransition checks every (program, state, action, role) against the
// specification: listed combinations are allowed and land in the listed
// state, all others are refused with a Chinese reason and the right code.
func TestEveryTransition(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Programs {
		for _, s := range States {
			for _, a := range allActions {
				for _, r := range Roles {
					key := fmt.Sprintf("%s %s %s %s", p, s, a, r)
					want, ok := allowedSteps[key]
					tr, err := Allowed(p, s, a, r)
					if ok {
						seen[key] = true
						if err != nil {
							t.Errorf("%s: refused: %v", key, err)
							continue
						}
						got := tr.To
						if got == "" {
							got = s
						}
						if got != want {
							t.Errorf("%s: lands in %s, want %s", key, got, want)
						}
						continue
					}
					if err == nil {
						t.Errorf("%s: allowed, but the specification refuses it", key)
						continue
					}
					if code := ErrorCode(err); code != ECONFLICT && code != EFORBIDDEN && code != EINVALID {
						t.Errorf("%s: code %s", key, code)
					}
					if ErrorMessage(err) == "" {
						t.Errorf("%s: empty message", key)
					}
				}
			}
		}
	}
	if len(seen) != len(allowedSteps) {
		for k := range allowedSteps {
			if !seen[k] {
				t.Errorf("specification row %q never checked (typo?)", k)
			}
		}
	}
}

func TestRefusalMessages(t *testing.T) {
	_, err := Allowed(ProgramDibao, StateApplied, ActionApprove, RoleApprover)
	if ErrorCode(err) != ECONFLICT || ErrorMessage(err) != "案件当前状态为“已申请”，不能执行“审批确认”" {
		t.Errorf("state refusal: %v", err)
	}
	_, err = Allowed(ProgramDibao, StateNoticed, ActionApprove, RoleClerk)
	if ErrorCode(err) != EFORBIDDEN || ErrorMessage(err) != "“审批确认”只能由乡镇审批人办理，当前用户是乡镇经办人" {
		t.Errorf("role refusal: %v", err)
	}
	_, err = Allowed(ProgramDibao, StateApplied, ActionPayFirst, RoleApprover)
	if ErrorCode(err) != EINVALID {
		t.Errorf("unknown step for program: %v", err)
	}
}

func TestAvailableActions(t *testing.T) {
	got := AvailableActions(ProgramDibao, StatePaying, RoleApprover)
	want := []Action{ActionPhaseOut, ActionTerminate}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("approver on a paying 低保 case: %v, want %v", got, want)
	}
	if got := AvailableActions(ProgramDibao, StateArchived, RoleClerk); len(got) != 0 {
		t.Errorf("archived case offers %v", got)
	}
}
