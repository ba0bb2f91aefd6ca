Feature: Dissociation, state in the moment, and relationships (brief sections 9, 10, 14)
  A dissociating child is grounded and regulated before any verbal or narrative work;
  terror and a mismatch between typical scores and a frightened state call for safety
  first; low relational health is a goal of its own; the adults around the child get a
  short "in the moment" guide.

  @rule:DISS-002 @rule:DISS-005 @rule:DISS-006 @rule:DISS-007 @rule:DEFER-002 @rule:DISS-004 @rule:REVIEW-009
  Scenario: A "calm" 10-year-old rated dissociation 2 gets grounding first, verbal work deferred and the discrepancy flagged
    Given a 10-year-old with region scores brainstem 10, diencephalon 10, limbic 8, cortex 9
    And "dissociation" is rated 2
    And the child's typical arousal is "calm"
    And the team is "mother, teacher, psychologist"
    When seqplan plans the assessment
    Then the plan starts with "regulate" work on the brainstem
    And "grounding" is the first step
    And "narrative_therapy" is deferred by rule "DEFER-002" until "the child no longer dissociates"
    And "storytelling" is deferred by rule "DEFER-002"
    And no step is in the "reason" phase
    And the plan cautions about "calm_or_dissociating"
    And the review is set by rule "REVIEW-009"

  @rule:DISS-003 @rule:DISS-008
  Scenario: A recorded dissociative state closes the same gate
    Given a 12-year-old with every region scored 11
    And the child's typical dissociative state is "compliance"
    And the team is "foster carer, therapist"
    When seqplan plans the assessment
    Then rule "DISS-003" fires
    And "cbt" is deferred by rule "DEFER-002"
    And "grounding" is a step in the "regulate" phase
    And "In the moment" says "use the cue you have agreed with them"

  @rule:DISS-002 @rule:DISS-003 @rule:DEFER-002 @rule:DISS-004 @must_not_fire
  Scenario: No dissociation: verbal work is not held back for it
    Given a 12-year-old with every region scored 11
    And the child's typical arousal is "calm"
    And the child's typical dissociative state is "none"
    And the team is "foster carer, therapist"
    When seqplan plans the assessment
    Then "cbt" is not deferred
    And "grounding" is not a step

  @rule:DISS-005 @rule:DISS-006 @rule:DISS-007 @rule:DISS-008 @rule:REVIEW-009 @must_not_fire
  Scenario: A child neither dissociating nor rated low on dissociation starts where the scores say
    Given a 9-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 9
    And the child's typical arousal is "alert"
    When seqplan plans the assessment
    Then the plan starts with "relate" work on the limbic

  @rule:STATE-004 @rule:REVIEW-010
  Scenario: Terror escalates beyond alarm: safety first and a short review
    Given a 9-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 8
    And the child's typical arousal is "terror"
    When seqplan plans the assessment
    Then the plan cautions about "safety"
    And the review is in 4 weeks
    And the review is set by rule "REVIEW-010"

  @rule:STATE-004 @rule:REVIEW-010 @must_not_fire
  Scenario: Alarm is not terror
    Given a 9-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 8
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then the review is in 12 weeks

  @rule:STATE-005 @rule:MOMENT-002
  Scenario: A teenager with typical scores who is typically in fear is flagged for a possible ongoing threat
    Given a 15-year-old with every region scored 12
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then the plan cautions about "possible_ongoing_threat"
    And "In the moment" says "This child is often in fear"

  @rule:STATE-005 @must_not_fire
  Scenario: A frightened child with impaired regions: the state fits the scores
    Given a 15-year-old with region scores brainstem 5, diencephalon 6, limbic 9, cortex 9
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then rule "STATE-005" does not fire

  @rule:REL-004
  Scenario: Low relational health gives the plan a relational goal and a review of the setting
    Given an 8-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 9
    And current relational health is 3
    And the team is "grandparent, teacher"
    When seqplan plans the assessment
    Then the plan has the goal "relational"
    And the plan says to review the relational setting
    And "caregiver_coaching" needs a referral to "therapist" by rule "REF-001"

  @rule:REL-004 @must_not_fire
  Scenario: Good relational health: no separate goal
    Given an 8-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 9
    And current relational health is 8
    When seqplan plans the assessment
    Then the plan has no goal beside the steps

  @rule:REL-006
  Scenario: High relational health is named as a strength
    Given an 8-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 9
    And current relational health is 11
    When seqplan plans the assessment
    Then relational health is named as a strength

  @rule:REL-006 @must_not_fire
  Scenario: Middling relational health is not named as a strength
    Given an 8-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 9
    And current relational health is 7
    When seqplan plans the assessment
    Then rule "REL-006" does not fire

  @rule:MOMENT-001
  Scenario: Every plan says what to do in the moment: regulate, relate, then reason
    Given a 9-year-old with every region scored 12
    When seqplan plans the assessment
    Then "In the moment" says "steady yourself first"

  @rule:MOMENT-003
  Scenario: An older child whose lower regions work at an infant level is calmed from outside
    Given a 9-year-old with region scores brainstem 1, diencephalon 2, limbic 5, cortex 6
    When seqplan plans the assessment
    Then "In the moment" says "calm them as you would a much younger child"

  @rule:MOMENT-002 @rule:MOMENT-003 @must_not_fire
  Scenario: A calm child with mild lower regions needs no special in-the-moment note
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then "In the moment" does not say "calm them as you would a much younger child"
