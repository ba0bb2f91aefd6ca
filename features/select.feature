Feature: Select steps and the review (layer 6: knowledge_base/rules/select.yaml)
  A candidate that meets all six Rs and is not deferred becomes a step; steps run
  bottom-up by phase, a few per phase, the rest listed as alternatives. The review
  says when to re-draw the map and what would count as progress.

  @rule:SEL-001
  Scenario: Activities that meet all six Rs become steps, bottom-up
    Given a 9-year-old with region scores brainstem 8, diencephalon 8, limbic 6, cortex 8
    And the child enjoys "music, pretend play, stories"
    And the team is "parent, teacher, therapist"
    When seqplan plans the assessment
    Then rule "SEL-001" fires
    And "drumming" is the first step
    And "drumming" cites rule "SEL-001"
    And the steps follow the phases "regulate, relate, reason"
    And the "regulate" phase lists 3 steps
    And "singing" is an alternative
    And "play_therapy" is a step in the "relate" phase
    And "storytelling" is a step in the "reason" phase

  @rule:SEL-001
  Scenario: Interests that match no activity do not empty the plan: the steps are to try
    Given a 9-year-old with region scores brainstem 6, diencephalon 7, limbic 6, cortex 8
    And the child enjoys "knitting"
    And the team is "coach"
    When seqplan plans the assessment
    Then rule "SEL-001" fires
    And the plan starts with "regulate" work on the brainstem
    And "dance" is to try
    And the plan notes "knitting" as unmatched in the child's interests

  @rule:REVIEW-007 @rule:REF-001
  Scenario: A team that can deliver nothing for where the plan starts: the plan says what blocks it
    Given a 14-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex 6
    And the child's typical arousal is "calm"
    And the team is "coach"
    And the child must avoid "talking, competition, stories, music"
    When seqplan plans the assessment
    Then the plan says nothing qualifies where it starts
    And "cbt" fails "respectful" by rule "RS-RESPECTFUL-001"
    And "cbt" is not recommended, with no referral suggested
    And the review is in 4 weeks

  @rule:SEL-001 @rule:RS-REWARDING-001
  Scenario: A 4-year-old in alarm with interests the old vocabulary did not know gets regulating steps
    Given a 4.5-year-old with region scores brainstem 4, diencephalon 5, limbic 5, cortex 6
    And the child's typical arousal is "alarm"
    And the child enjoys "dinosaurs, lego, trampolining"
    When seqplan plans the assessment
    Then the plan starts with "regulate" work on the brainstem
    And "dance" is not to try
    And no step is in the "reason" phase

  @rule:SEL-001 @rule:DEFER-001
  Scenario: A deferred activity is not a step even when it meets the other Rs
    Given a 13-year-old with region scores brainstem 9, diencephalon 9, limbic 9, cortex 8
    And the child's typical arousal is "alarm"
    And the team is "caregiver, therapist"
    When seqplan plans the assessment
    Then "cbt" is deferred by rule "DEFER-001"
    And "cbt" is not a step
    And "drumming" is a step in the "regulate" phase

  @rule:REVIEW-001
  Scenario: A standard review after the usual interval
    Given a 9-year-old with region scores brainstem 6, diencephalon 7, limbic 9, cortex 9
    When seqplan plans the assessment
    Then rule "REVIEW-001" fires
    And the review is in 12 weeks
    And the review is set by rule "REVIEW-001"
    And the review says "Progress: the Brainstem moves up from moderate"

  @rule:REVIEW-002
  Scenario: Review sooner after severe perinatal relational poverty
    Given a 9-year-old with region scores brainstem 6, diencephalon 7, limbic 9, cortex 9
    And perinatal history is adversity 0 and relational poverty 3
    When seqplan plans the assessment
    Then rule "REVIEW-002" fires
    And rule "REVIEW-001" fires
    And the review is in 8 weeks
    And the review says "Severe relational poverty in the Perinatal (0-2 months) period: reassess within 8 weeks"
    And the review says "Progress: the Brainstem moves up from moderate"

  @rule:REVIEW-003
  Scenario: A calm child with every region typical is reviewed for maintenance
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "REVIEW-003" fires
    And the review is in 26 weeks
    And the review says "Every region is typical"

  @rule:REVIEW-004
  Scenario: A child in fear with typical scores is reviewed at the standard interval
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "fear"
    When seqplan plans the assessment
    Then rule "REVIEW-004" fires
    And rule "REVIEW-003" does not fire
    And the review is in 12 weeks
    And the review says "Progress: the child's typical state is calm or alert"

  @rule:REVIEW-002 @rule:REVIEW-004
  Scenario: A child in fear after a severe perinatal history is reviewed sooner, with both reasons
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "fear"
    And perinatal history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then rule "REVIEW-002" fires
    And rule "REVIEW-004" fires
    And the review is in 8 weeks
    And the review says "Progress: the child's typical state is calm or alert"

  @rule:REVIEW-002 @rule:REVIEW-003
  Scenario: A calm, typical child with severe infancy relational poverty is reviewed sooner
    Given a 9-year-old with every region scored 12
    And the child's typical arousal is "calm"
    And perinatal history is adversity 0 and relational poverty 3
    When seqplan plans the assessment
    Then rule "REVIEW-002" fires
    And the review is in 8 weeks

  @rule:REVIEW-001 @rule:REVIEW-006
  Scenario: A child with three regions unrated is asked to complete the assessment, whatever else holds
    Given a 9-year-old with region scores brainstem 5, diencephalon 9, limbic 9, cortex 9
    And no diencephalon functions are rated
    And no limbic functions are rated
    And no cortex functions are rated
    When seqplan plans the assessment
    Then rule "REVIEW-006" fires
    And rule "REVIEW-001" fires
    And the review is in 4 weeks
    And the review says "complete the assessment within 4 weeks"

  @rule:REVIEW-006
  Scenario: An assessment that rates one function is not read as a typical child
    Given a 8-year-old with every region scored 12
    And only 1 brainstem function is rated
    And no diencephalon functions are rated
    And no limbic functions are rated
    And no cortex functions are rated
    And the child's typical arousal is "calm"
    When seqplan plans the assessment
    Then rule "REVIEW-006" fires
    And rule "REVIEW-003" does not fire
    And the review is in 4 weeks
    And the review says "complete the assessment within 4 weeks"
