Feature: Explanations and audit
  A therapist asks why a step is there, a trainer shows how the model moved from scores
  to a plan, an auditor checks that a stored plan follows from its input and knowledge
  base. Each command answers from the rules that fired, down to the assessment's scores.

  Scenario: "why" walks from a step down to the ratings it rests on
    Given the bundled example "young-child-brainstem"
    When I ask why "S1"
    Then the answer names rule "SEL-001" and rule "PROP-001" and rule "SEQ-002" and rule "BAND-004"
    And the answer reaches the rating "from cardiovascular = 3"

  Scenario: "why" explains every step of every bundled example down to the ratings
    Then for every bundled example, why each step reaches a rating

  Scenario: "why-not" names the gate that defers cognitive work, its value and what lifts it
    Given the bundled example "young-child-brainstem"
    When I ask why not "music_lessons"
    Then the answer names rule "DEFER-001" and rule "GATE-001" and rule "GATE-002"
    And the answer says "region_band.band is 'severe'"
    And the answer says "arousal.state is 'alarm'"
    And the answer says "would change when: the child's typical state is calm or alert"

  Scenario: "why-not" says work years beyond the child's developmental age is not proposed at all
    Given the bundled example "young-child-brainstem"
    When I ask why not "cbt"
    Then the answer says "no rule proposed it"
    And the answer says "activity.dev_min is 7"

  Scenario: "why-not" names the R an excluded activity fails
    Given the bundled example "young-child-brainstem"
    When I ask why not "therapeutic_massage"
    Then the answer names rule "RS-RESPECTFUL-001"
    And the answer says "involves being touched, which the assessment says to avoid"

  Scenario: "why-not" checks each proposing rule when nothing proposed the activity
    Given the bundled example "teen-cortical"
    When I ask why not "caregiver_coaching"
    Then the answer says "no rule proposed it"
    And the answer says "FAIL: need (relational_need): 0 match(es)"

  Scenario: "why-not" on a misspelt activity suggests the right one
    Given the bundled example "teen-cortical"
    When I ask why not "drumin"
    Then the request is refused with "did you mean 'drumming'?"

  Scenario: "trace" lists every firing in order
    Given the bundled example "middle-limbic"
    When I ask for the trace as "jsonl"
    Then every line is one firing, numbered from 1 without gaps, with its rule and the facts it matched

  Scenario: A stored plan is reproduced, and an edited score is named
    Given the bundled example "teen-cortical" planned and stored as JSON
    When I audit the stored plan against the same assessment
    Then the audit says "reproduced"
    When I audit the stored plan against the assessment with "abstract_cognition" rated 9
    Then the audit fails and says "input changed"
    And the audit says "~ regions.cortex.band:"

  Scenario: A stored plan fails its audit when a threshold changes in the knowledge base
    Given the bundled example "middle-limbic" planned and stored as JSON
    And a copy of the knowledge base with "band_mild_min" set to 9
    When I audit the stored plan with that knowledge base
    Then the audit fails and says "knowledge base changed"

  Scenario: Two knowledge-base versions are compared on one assessment
    Given a copy of the knowledge base with "steps_per_phase" set to 1
    When I compare the bundled example "middle-limbic" between the bundled and the copied knowledge base
    Then the comparison says "- steps.music_and_movement"
