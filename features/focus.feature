Feature: Focus the plan (layer 2: knowledge_base/rules/focus.yaml)
  Where to start (the lowest region that is not typical), which stage each region
  needs (regulate, relate, reason, or enrich), which gates hold back reason-stage
  work, and how long the regulate phase is expected to take.

  @rule:SEQ-001
  Scenario Outline: The plan starts at the lowest region that is not typical
    Given a 9-year-old with region scores brainstem <brainstem>, diencephalon <diencephalon>, limbic <limbic>, cortex <cortex>
    And the team is "parent, teacher, therapist"
    When seqplan plans the assessment
    Then rule "SEQ-001" fires for the <start>
    And the plan starts at the <start>
    And the first step is in the "<phase>" phase

    Examples:
      | brainstem | diencephalon | limbic | cortex | start        | phase    |
      | 3         | 6            | 8      | 9      | brainstem    | regulate |
      | 12        | 6            | 4      | 9      | diencephalon | regulate |
      | 12        | 11           | 6      | 4      | limbic       | relate   |
      | 11        | 12           | 12     | 9      | cortex       | reason   |

  @rule:SEQ-001
  Scenario: A barely rated lower region does not decide where the plan starts
    Given a 9-year-old with region scores brainstem 3, diencephalon 6, limbic 8, cortex 9
    And only 2 brainstem functions are rated
    When seqplan plans the assessment
    Then the brainstem band is "insufficient data"
    And the plan starts at the diencephalon
    And rule "SEQ-001" does not fire for the brainstem

  @rule:SEQ-001 @must_not_fire
  Scenario: A child with every region typical has no starting region
    Given a 9-year-old with every region scored 11
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "SEQ-001" does not fire
    And the plan has no starting region
    And every step is in the "enrich" phase
    And the review is in 26 weeks

  @rule:SEQ-002
  Scenario: Each non-typical region gets its own stage of treatment, bottom-up
    Given an 11-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 7
    And the team is "mum, teacher, therapist"
    When seqplan plans the assessment
    Then rule "SEQ-002" fires for the brainstem
    And rule "SEQ-002" fires for the limbic
    And rule "SEQ-002" fires for the cortex
    And the steps follow the phases "regulate, relate, reason"
    And "drumming" is a step in the "regulate" phase
    And "play_therapy" is a step in the "relate" phase
    And "storytelling" is a step in the "reason" phase

  @rule:SEQ-003
  Scenario: Typical regions get enrichment, not treatment
    Given an 11-year-old with region scores brainstem 12, diencephalon 12, limbic 6, cortex 12
    And the team is "parent, teacher, therapist"
    When seqplan plans the assessment
    Then rule "SEQ-003" fires for the brainstem
    And rule "SEQ-003" fires for the cortex
    And rule "SEQ-003" does not fire for the limbic
    And the steps follow the phases "relate, enrich"
    And "drumming" is a step in the "enrich" phase
    And "drumming" cites rule "SEQ-003"

  @rule:STATE-002
  Scenario: A child in alarm is regulated first, whatever the scores
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then rule "STATE-002" fires for the brainstem
    And rule "STATE-002" fires for the diencephalon
    And "drumming" is the first step
    And "drumming" is a step in the "regulate" phase
    And "drumming" cites rule "STATE-002"
    And the regulate phase is expected to last at least 12 weeks

  @rule:STATE-002 @must_not_fire
  Scenario: An alert child with typical scores is not put into a regulate phase
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "alert"
    When seqplan plans the assessment
    Then rule "STATE-002" does not fire
    And no step is in the "regulate" phase
    And "drumming" is a step in the "enrich" phase
    And the plan gives no regulate phase length

  @rule:GATE-001
  Scenario Outline: An unregulated lower region holds back reason-stage work
    Given a 12-year-old with region scores brainstem <brainstem>, diencephalon <diencephalon>, limbic 9, cortex 9
    And the child's typical arousal is "calm"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "GATE-001" fires for the <region>
    And rule "GATE-002" does not fire
    And "cbt" is deferred by rule "GATE-001" until "the brainstem and diencephalon bands are mild or typical at reassessment"
    And "cbt" is not a step
    And no step is in the "reason" phase

    Examples:
      | brainstem | diencephalon | region       |
      | 7         | 9            | brainstem    |
      | 3         | 9            | brainstem    |
      | 9         | 5            | diencephalon |
      | 9         | 0            | diencephalon |

  @rule:GATE-001 @must_not_fire
  Scenario: Mildly impaired lower regions leave cognitive work open
    Given a 12-year-old with region scores brainstem 8, diencephalon 8, limbic 9, cortex 9
    And the child's typical arousal is "calm"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "GATE-001" does not fire
    And nothing is deferred
    And "cbt" is recommended
    And "storytelling" is a step in the "reason" phase

  @rule:GATE-002
  Scenario Outline: Alarm, fear or terror holds back reason-stage work
    Given a 12-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "<state>"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "GATE-002" fires for the <state>
    And rule "GATE-001" does not fire
    And "cbt" is deferred by rule "GATE-002" until "the child's typical state is calm or alert"
    And "cbt" is not a step
    And the first step is in the "regulate" phase

    Examples:
      | state  |
      | alarm  |
      | fear   |
      | terror |

  @rule:GATE-002 @must_not_fire
  Scenario: An alert child with regulated lower regions can start cognitive work
    Given a 12-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "alert"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then rule "GATE-002" does not fire
    And "cbt" is not deferred
    And "cbt" is recommended

  @rule:GATE-001 @rule:GATE-002
  Scenario: Both gates closed: the deferral names both conditions
    Given a 12-year-old with region scores brainstem 4, diencephalon 9, limbic 9, cortex 9
    And the child's typical arousal is "fear"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then "cbt" is deferred by rule "GATE-001" until "the brainstem and diencephalon bands are mild or typical at reassessment"
    And "cbt" is deferred by rule "GATE-002" until "the child's typical state is calm or alert"

  @rule:HIST-003
  Scenario: Severe perinatal relational poverty lengthens the regulate phase
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 8, cortex 9
    And perinatal history is adversity 1 and relational poverty 3
    When seqplan plans the assessment
    Then rule "HIST-003" fires
    And rule "SEQ-004" does not fire
    And the regulate phase is expected to last at least 24 weeks

  @rule:HIST-003 @must_not_fire
  Scenario: No regulate phase, no regulate-phase length, whatever the history
    A calm child with every region typical and a severe perinatal history has no
    regulate phase, so the plan gives it no expected length.

    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "calm"
    And perinatal history is adversity 3 and relational poverty 0
    When seqplan plans the assessment
    Then no step is in the "regulate" phase
    And the plan gives no regulate phase length
    And rule "HIST-003" does not fire

  @rule:SEQ-004
  Scenario: Without a severe early history the regulate phase is expected to take 12 weeks
    Given a 7-year-old with region scores brainstem 5, diencephalon 7, limbic 8, cortex 9
    And early childhood history is adversity 1 and relational poverty 3
    When seqplan plans the assessment
    Then rule "SEQ-004" fires
    And rule "HIST-003" does not fire
    And the regulate phase is expected to last at least 12 weeks

  @rule:STATE-003
  Scenario: A child in alarm starts with regulation even when only the cortex is impaired
    Given a 12-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex 6
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then rule "STATE-003" fires
    And rule "SEQ-001" does not fire
    And the plan starts with regulation because the child is in "alarm"
    And the first step is in the "regulate" phase
    And "cbt" is deferred by rule "GATE-002"

  @rule:STATE-003 @must_not_fire
  Scenario: A calm child starts at the lowest region that is not typical
    Given a 12-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex 6
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "STATE-003" does not fire
    And the plan starts at the cortex

  @rule:STR-002
  Scenario: A typical function shapes how every step is delivered
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 8, cortex 8
    And "peer_play" is rated 11
    And "auditory_integration" is rated 12
    When seqplan plans the assessment
    Then rule "STR-002" fires
    And the plan uses the strength "Peer play is a strength (11/12): invite a peer the child likes to join in"
    And the plan uses the strength "Auditory integration is a strength (12/12)"

  @rule:STR-002 @must_not_fire
  Scenario: No typical function, no strength-based delivery
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 8, cortex 8
    When seqplan plans the assessment
    Then rule "STR-002" does not fire
    And the plan names no strength to deliver through

  @rule:GATE-003
  Scenario: A barely rated brainstem keeps cortical work waiting
    Given a 10-year-old with region scores brainstem 12, diencephalon 10, limbic 9, cortex 8
    And only 1 brainstem function is rated
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "GATE-003" fires
    And the brainstem band is "insufficient data"
    And "cbt" is deferred by rule "GATE-003" until "the brainstem and diencephalon are rated (at least half of their functions each) and are mild or typical"
    And no step is in the "reason" phase

  @rule:GATE-003 @must_not_fire
  Scenario: A barely rated cortex does not gate cortical work
    Given a 10-year-old with region scores brainstem 10, diencephalon 10, limbic 9, cortex 8
    And only 2 cortex functions are rated
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "GATE-003" does not fire

  @rule:GATE-004 @rule:REL-003 @rule:DEFER-001
  Scenario: A severely dysregulated brainstem defers relate activities, which are then delivered through the regulating steps
    Given a 7-year-old with region scores brainstem 3, diencephalon 6, limbic 3, cortex 9
    And the child's typical arousal is "alert"
    And the team is "foster carer, play therapist"
    When seqplan plans the assessment
    Then rule "GATE-004" fires
    And "play_therapy" is deferred by rule "GATE-004" until "the brainstem and diencephalon are moderate or better"
    And "play_therapy" is not a step
    And "serve_and_return" is recommended
    And the plan starts with "regulate" work on the brainstem
    And the plan delivers the steps through the relationship with the limbic

  @rule:GATE-004 @rule:REL-003 @must_not_fire
  Scenario: Moderate lower regions: relate work runs alongside regulating work
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 6, cortex 9
    And the child's typical arousal is "alert"
    And the team is "foster carer, play therapist"
    When seqplan plans the assessment
    Then rule "GATE-004" does not fire
    And "play_therapy" is a step in the "relate" phase

  @rule:GATE-005
  Scenario: A child typically in terror: relate activities wait, regulating steps lead
    Given a 10-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the child's typical arousal is "terror"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then rule "GATE-005" fires
    And "play_therapy" is deferred by rule "GATE-005" until "the child's typical state is alarm or calmer"
    And the first step is in the "regulate" phase
    And no step is in the "reason" phase

  @rule:GATE-005 @must_not_fire
  Scenario: A child in alarm may still do relate work
    Given a 10-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the child's typical arousal is "alarm"
    And the team is "parent, therapist"
    When seqplan plans the assessment
    Then rule "GATE-005" does not fire
    And "play_therapy" is a step in the "relate" phase
