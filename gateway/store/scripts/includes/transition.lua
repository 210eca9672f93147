-- The case state machine, as far as status changes go. A state may only move forward by rank;
-- accepted, supplement_requested and supplement_received share a rank because a case goes back and
-- forth between them (补正 may be asked for more than once).
-- Terminal states never change. Returns 'apply', 'same' or 'ignore'.
local RANK = {
  submitted = 0, forwarded = 1, registered = 2,
  accepted = 3, supplement_requested = 3, supplement_received = 3,
  approved = 4, rejected = 4,
}
local function transitionOf(current, nextState)
  if current == nextState then return 'same' end
  local from, to = RANK[current], RANK[nextState]
  if to == nil then return 'ignore' end
  if from == nil then return 'apply' end
  if from == 4 or to < from then return 'ignore' end
  return 'apply'
end
