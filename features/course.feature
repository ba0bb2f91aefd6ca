Feature: Over time: stepping down, relational health, history and plausibility (knowledge_base/rules/course.yaml; brief sections 22, 26, 27)

  @rule:STEP-002 @rule:STEP-003 @rule:STEP-004 @rule:REVIEW-011
  Scenario: A child who improved and is calm steps down, with no new therapy after a planned ending
    Given a 10-year-old with region scores brainstem 11, diencephalon 10, limbic 9, cortex 10
    And the child's typical arousal is "calm"
    And current relational health is 11
    And the team is "mum, teacher"
    And the previous assessment scored every region 6, with arousal "alarm"
    And a course of therapy has ended as planned since
    When seqplan plans the assessment
    Then the plan steps down
    And the review is in 26 weeks
    And "play_therapy" is not a referral

  @rule:STEP-001 @rule:STEP-005
  Scenario: A region that did not improve stops the step-down, and what fell is named
    Given a 8-year-old with region scores brainstem 10, diencephalon 6, limbic 9, cortex 10
    And "sleep" is rated 3
    And the child's typical arousal is "calm"
    And the previous assessment scored every region 8, with arousal "alert"
    When seqplan plans the assessment
    Then the plan does not step down
    And the plan names "sleep" as fallen since the previous assessment

  @rule:STEP-003 @must_not_fire
  Scenario: An improving child still in alarm does not step down
    Given a 9-year-old with region scores brainstem 8, diencephalon 8, limbic 8, cortex 9
    And the child's typical arousal is "alarm"
    And the previous assessment scored every region 5, with arousal "alarm"
    When seqplan plans the assessment
    Then the plan does not step down

  @rule:REL-007 @rule:REL-008 @rule:REL-009 @rule:REFER-008 @rule:STR-003
  Scenario: Relational health 1: the relational goal leads, a daily named adult, a key adult, review in 8 weeks
    Given a 9-year-old with region scores brainstem 8, diencephalon 8, limbic 11, cortex 9
    And current relational health is 1
    And "gross_motor" is rated 12
    And the team is "residential worker, teacher"
    When seqplan plans the assessment
    Then "daily_one_to_one" is a step
    And the plan suggests considering "key_adult"
    And the review is in 8 weeks
    And "relational_trust" is listed as a strength
    And rule "STR-002" does not fire

  @rule:REL-010
  Scenario: Relational health 6 is reviewed at the standard interval
    Given a 9-year-old with region scores brainstem 11, diencephalon 11, limbic 11, cortex 11
    And the child's typical arousal is "calm"
    And current relational health is 6
    When seqplan plans the assessment
    Then the review is in 12 weeks

  @rule:REL-011
  Scenario: Rich relationships need no caregiver-coaching referral
    Given a 9-year-old with region scores brainstem 8, diencephalon 8, limbic 6, cortex 9
    And current relational health is 12
    And the team is "mum, dad, teacher"
    When seqplan plans the assessment
    Then "caregiver_coaching" is not a referral
    And "caregiver_coaching" fails "relevant" by rule "REL-011"

  @rule:HIST-006 @rule:HIST-007 @rule:HIST-008
  Scenario: Every rated period is reported, adolescence and later relational poverty included
    Given a 15-year-old with region scores brainstem 8, diencephalon 8, limbic 7, cortex 8
    And childhood history is adversity 1 and relational poverty 3
    And adolescence history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then the history reports the childhood period
    And the history reports the adolescence period
    And the plan suggests considering "substance_use_service"

  @rule:HIST-002
  Scenario: Severe infancy adversity counts like perinatal: a longer regulate phase and an earlier review
    Given a 6-year-old with region scores brainstem 6, diencephalon 6, limbic 7, cortex 8
    And infancy history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then infancy adversity is listed as an early risk
    And the review is in 8 weeks

  @rule:PLAUS-001 @rule:PLAUS-004 @rule:REVIEW-012 @rule:REFER-006
  Scenario: Every function typical with relational health 1 and nine placements: check the ratings
    Given a 16-year-old with every region scored 12
    And the child's typical arousal is "calm"
    And current relational health is 1
    And the child is looked after, with 9 placements
    When seqplan plans the assessment
    Then the plan cautions about "plausibility"
    And the review is in 8 weeks
    And the plan suggests considering "pathway_plan"

  @rule:PLAUS-002 @rule:PLAUS-003
  Scenario: Typical ratings after severe relational poverty now and before are implausible
    Given a 13-year-old with every region scored 11
    And childhood history is adversity 1 and relational poverty 3
    And adolescence history is adversity 1 and relational poverty 3
    When seqplan plans the assessment
    Then the plan cautions about "plausibility"

  @rule:PLAUS-005
  Scenario: Ratings from file review only are checked
    Given a 6-year-old with every region scored 10
    And the ratings come from "file_review"
    When seqplan plans the assessment
    Then the plan cautions about "plausibility"
