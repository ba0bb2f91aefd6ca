Feature: The catalogue for the very young and for school (knowledge_base/activities.yaml)
  A region that works at an infant level (developmental age 0-2) gets activities a carer
  can do at that level, whatever the child's chronological age (brief section 11: rocking
  to song, holding, serve and return, face-to-face play, lap rhymes; infant massage with
  weak evidence). Every activity is therapeutic, educational or enrichment, and belongs
  to the clinic (NMT), school (NME) or home and community (NMC); the school's own
  activities are delivered by school staff (brief section 12).

  @rule:RS-RELEVANT-001 @rule:SEL-001
  Scenario: A toddler whose regions are all severe gets infant-level regulating steps from a carer
    Given a 2.5-year-old with every region scored 2
    And the child's typical arousal is "alarm"
    When seqplan plans the assessment
    Then the brainstem developmental age is about 0.4 years
    And "rocking_to_song" is the first step
    And "holding_routines" is a step in the "regulate" phase
    And "holding_routines" is delivered by "caregiver"
    And "infant_massage" is recommended
    And "drumming" fails "relevant" by rule "RS-RELEVANT-002"
    And every step is a "therapeutic" step

  @rule:RS-RELEVANT-001 @rule:SEL-001
  Scenario: A 9-year-old whose brainstem works at an infant level gets "younger" regulating experiences
    Given a 9-year-old with region scores brainstem 1, diencephalon 8, limbic 9, cortex 9
    And the team is "foster carer, teacher"
    When seqplan plans the assessment
    Then the brainstem developmental age is about 0.8 years
    And "rocking_to_song" is the first step
    And "holding_routines" is a step in the "regulate" phase
    And "rocking_to_song" meets "relevant" because "suits a developmental age of 0.8 years in the Brainstem"

  @rule:RS-RELEVANT-001 @rule:SEL-001
  Scenario: A 9-year-old whose limbic works at an infant level gets infant-level relational steps
    Given a 9-year-old with region scores brainstem 11, diencephalon 11, limbic 2, cortex 11
    And the team is "foster carer"
    When seqplan plans the assessment
    Then the plan starts at the limbic
    And "serve_and_return" is a step in the "relate" phase
    And "face_to_face_play" is a step in the "relate" phase
    And "serve_and_return" is delivered by "caregiver"
    And "play_therapy" fails "relevant" by rule "RS-RELEVANT-002"

  @rule:RS-RESPECTFUL-001
  Scenario: Holding and infant massage are touch: a child who avoids touch does not get them
    Given a 2.5-year-old with every region scored 2
    And the child must avoid "being touched"
    When seqplan plans the assessment
    Then "holding_routines" fails "respectful" by rule "RS-RESPECTFUL-001"
    And "infant_massage" fails "respectful" by rule "RS-RESPECTFUL-001"
    And "rocking_to_song" is the first step

  @rule:RS-RELEVANT-003
  Scenario: A child whose regions work at a school-age level gets no infant-level activity
    Given a 9-year-old with region scores brainstem 6, diencephalon 7, limbic 6, cortex 8
    And the team is "parent, teacher"
    When seqplan plans the assessment
    Then "rocking_to_song" fails "relevant" by rule "RS-RELEVANT-003"
    And "serve_and_return" fails "relevant" by rule "RS-RELEVANT-003"
    And "infant_massage" is not a step
    And "drumming" is the first step

  @rule:RS-REWARDING-001 @rule:SEL-001
  Scenario: School staff deliver the school's educational activities, and the plan says what happens where
    Given an 8-year-old with region scores brainstem 7, diencephalon 7, limbic 10, cortex 10
    And the team is "parent, teacher"
    And the child enjoys "playing with friends"
    When seqplan plans the assessment
    Then "rhythm_in_learning" is the first step
    And "rhythm_in_learning" is a "educational" step
    And "rhythm_in_learning" is delivered by "teacher"
    And "rhythm_in_learning" happens at "school"
    And "Where it happens" lists "S1" under "School (NME)" with the "teacher"
    And "Where it happens" lists "S2" under "Home and community (NMC)" with the "caregiver"

  @rule:RS-RELATIONAL-003
  Scenario: Without school staff on the team, the school's activities are not steps
    Given an 8-year-old with region scores brainstem 7, diencephalon 7, limbic 10, cortex 10
    And the team is "parent"
    And the child enjoys "playing with friends"
    When seqplan plans the assessment
    Then "rhythm_in_learning" fails "relational" by rule "RS-RELATIONAL-003"
    And "movement_breaks" fails "relational" by rule "RS-RELATIONAL-003"
    And "rhythm_in_learning" is not a step
    And "Where it happens" lists nothing under "School (NME)"
