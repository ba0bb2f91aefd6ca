Feature: Safety short of terror (knowledge_base/rules/safety.yaml; brief section 19)
  Safety comes before therapy: a threat that may still be present, an adult who may harm the
  child, and where the plan can be delivered safely.

  @rule:SAFE-001 @rule:SAFE-005 @rule:SAFE-007 @rule:SAFE-008 @rule:REFER-009
  Scenario: A child in fear with severe adversity now gets the safety caution, a short review and no trauma narrative
    Given a 10-year-old with region scores brainstem 6, diencephalon 6, limbic 7, cortex 9
    And the child's typical arousal is "fear"
    And childhood history is adversity 3 and relational poverty 1
    And the team is "foster carer, teacher, therapist"
    When seqplan plans the assessment
    Then the plan cautions about "safety"
    And the plan cautions about "disclosure"
    And the review is in 4 weeks
    And "narrative_therapy" is not a step
    And the plan suggests considering "safeguarding"

  @rule:SAFE-001 @must_not_fire
  Scenario: Severe adversity in an earlier period, now calm, is history, not a present threat
    Given a 10-year-old with region scores brainstem 8, diencephalon 8, limbic 7, cortex 9
    And the child's typical arousal is "alert"
    And early childhood history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then rule "SAFE-001" does not fire

  @rule:SAFE-002 @rule:SAFE-006 @rule:SAFE-009 @rule:SAFE-011
  Scenario: A stepfather at home who may harm the child: nothing at home, no coaching, no home handout
    Given a 7-year-old with region scores brainstem 5, diencephalon 6, limbic 5, cortex 7
    And the child's typical arousal is "alarm"
    And "stepfather" is named as an alleged source of harm
    And the team is "mum, teacher, teaching assistant, social worker"
    When seqplan plans the assessment
    Then the plan cautions about "unsafe_adult"
    And no step happens at "home"
    And "caregiver_coaching" is not a step
    And the caregiver handout is withheld

  @rule:SAFE-003
  Scenario: An uncle who does not live with the child delivers nothing, and home stays open
    Given a 7-year-old with region scores brainstem 7, diencephalon 7, limbic 6, cortex 8
    And "uncle (does not live with us)" is named as an alleged source of harm
    And the team is "mum, dad, teacher"
    When seqplan plans the assessment
    Then the plan cautions about "unsafe_adult"
    And rule "SAFE-002" does not fire
    And "drumming" happens at "home, school, clinic, community"

  @rule:SAFE-004 @rule:SAFE-010
  Scenario: An ongoing threat keeps the plan out of the home
    Given a 5-year-old with region scores brainstem 5, diencephalon 5, limbic 6, cortex 7
    And a threat to the child is ongoing
    And the team is "mum, nursery key person"
    When seqplan plans the assessment
    Then the plan cautions about "safety"
    And no step happens at "home"

  @rule:SAFE-013
  Scenario: A threat from a father who does not live with the child: the protective mother delivers at home
    Given a 2-year-old with region scores brainstem 5, diencephalon 6, limbic 6, cortex 8
    And a threat to the child is ongoing
    And "father (does not live with us)" is named as an alleged source of harm
    And the team is "mum, refuge children's worker"
    When seqplan plans the assessment
    Then the plan cautions about "safety"
    And rule "SAFE-004" does not fire
    And "rocking_to_song" happens at "home, school"

  @rule:SAFE-012
  Scenario: A referral reaches the child in a clinic even when their settings are home and school
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the team is "parent, teacher, play therapist"
    And activities can happen at "home, school"
    When seqplan plans the assessment
    Then "play_therapy" is a step
    And "play_therapy" happens at "clinic"

  @rule:SAFE-011
  Scenario: A child in hospital gets work that can happen on the ward, named as the hospital
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 8, cortex 9
    And activities can happen at "hospital"
    And the team is "mum, nurse, play specialist"
    When seqplan plans the assessment
    Then no step happens at "school"
    And "drumming" happens at "hospital"
