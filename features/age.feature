Feature: Real age, dignity, bodies and languages (knowledge_base/rules/age.yaml; brief sections 20, 21, 25)

  @rule:AGE-002 @rule:AGE-004 @rule:AGE-005
  Scenario: A 14-year-old at a young developmental level gets age-respectful forms and no puppets
    Given a 14-year-old with region scores brainstem 5, diencephalon 5, limbic 4, cortex 8
    And the team is "foster carer, teacher, youth worker"
    And the young person's own goal is "get back to football"
    When seqplan plans the assessment
    Then "puppet_play" is not a step
    And "puppet_play" fails "respectful" by rule "AGE-002"
    And "drumming" is offered in its age-respectful form
    And the plan shows the young person's goal "get back to football"

  @rule:AGE-001
  Scenario: A 12-year-old who chose puppets keeps them
    Given a 12-year-old with region scores brainstem 9, diencephalon 9, limbic 6, cortex 9
    And the child enjoys "puppets (her own choice)"
    And the team is "foster mum, teacher"
    When seqplan plans the assessment
    Then "puppet_play" is a step

  @rule:RS-RESPECTFUL-001
  Scenario: A young person who says "baby stuff" gets nothing child-themed, and "therapy" removes therapy referrals
    Given a 13-year-old with region scores brainstem 8, diencephalon 8, limbic 5, cortex 8
    And the child must avoid "baby stuff, therapy"
    And the team is "mum, teacher"
    When seqplan plans the assessment
    Then "play_therapy" is not a referral
    And "sand_play" is not a step

  @rule:AGE-003
  Scenario: No swing for a baby
    Given a 0.9-year-old with every region scored 10
    And the team is "mum"
    When seqplan plans the assessment
    Then "swinging" fails "relevant" by rule "AGE-003"

  @rule:MOB-001 @rule:QUAL-001 @rule:REFER-001
  Scenario: A wheelchair user with cerebral palsy: motor ratings marked, not gating, no walking
    Given a 9-year-old with region scores brainstem 8, diencephalon 9, limbic 6, cortex 9
    And "gross_motor, neuromuscular_tone, fine_motor" are qualified as "organic"
    And "gross_motor" is rated 1
    And the child's mobility is "wheelchair"
    And the team is "mum, teacher, teaching assistant"
    When seqplan plans the assessment
    Then "walking" is not a step
    And "walking" fails "relevant" by rule "MOB-001"
    And "gross_motor" is kept on the map, marked "organic"
    And the plan cautions about "qualified_ratings"
    And the plan suggests considering "physiotherapy"

  @rule:MOB-004 @must_not_fire
  Scenario: A child who walks gets the standard forms; the adapted ones are not even listed
    Given a 9-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    When seqplan plans the assessment
    Then "seated_movement" is not considered

  @rule:MOB-004
  Scenario: A wheelchair user is offered seated forms and hydrotherapy with the physiotherapist
    Given a 9-year-old with region scores brainstem 6, diencephalon 6, limbic 9, cortex 9
    And the child's mobility is "wheelchair"
    And the team is "mum, teacher, physiotherapist"
    When seqplan plans the assessment
    Then "seated_movement" is a step

  @rule:MOB-002
  Scenario: A child who cannot sit unaided is not offered rocking on a chair or a swing
    Given a 6-year-old with region scores brainstem 3, diencephalon 3, limbic 5, cortex 6
    And the child's mobility is "not_sitting"
    When seqplan plans the assessment
    Then "rocking" fails "relevant" by rule "MOB-002"

  @rule:QUAL-002 @rule:LANG-001 @rule:REFER-004 @rule:REFER-005
  Scenario: Language rated in a second language: no cortex developmental age, an interpreter
    Given an 8-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 6
    And "receptive_language, expressive_language" are qualified as "second_language"
    And the family's home language is "Polish"
    When seqplan plans the assessment
    Then the cortex has no developmental age
    And the plan cautions about "second_language"
    And the plan cautions about "interpreter"
    And the plan suggests considering "interpreter"
    And the plan does not suggest "speech_language_therapy"

  @rule:QUAL-003 @rule:INF-001 @rule:INF-002 @rule:REFER-007
  Scenario: A baby: safe sleep, a crying plan, the health visitor, no thinking work listed as waiting
    Given a 0.4-year-old with region scores brainstem 5, diencephalon 5, limbic 6, cortex 6
    And the team is "mum"
    When seqplan plans the assessment
    Then the plan cautions about "safe_sleep"
    And the plan cautions about "crying_plan"
    And the plan suggests considering "health_visitor"
    And the plan suggests considering "carer_support"
    And "cbt" is not considered
    And "abstract_cognition" is kept on the map, marked "not_yet_applicable"

  @rule:DATA-002
  Scenario: A region short of ratings only because a condition lowers them is not an incomplete assessment
    Given a 9-year-old with region scores brainstem 9, diencephalon 5, limbic 8, cortex 9
    And "gross_motor, fine_motor, neuromuscular_tone, sleep, appetite_satiety" are qualified as "organic"
    When seqplan plans the assessment
    Then the diencephalon band is "insufficient data"
    And rule "DATA-001" does not fire
    And rule "GATE-003" does not fire
    And rule "REVIEW-006" does not fire

  @rule:QUAL-004
  Scenario: A blind child is not offered picture books or painting
    Given an 11-year-old with region scores brainstem 7, diencephalon 8, limbic 6, cortex 9
    And "visual_integration" is rated 0
    And "visual_integration" is qualified as "sensory_impairment"
    When seqplan plans the assessment
    Then "creative_arts" fails "relevant" by rule "QUAL-004"

  @rule:QUAL-005
  Scenario: A deaf child's adults calm and connect through the senses the child uses
    Given a 7-year-old with region scores brainstem 7, diencephalon 8, limbic 7, cortex 8
    And "auditory_integration, receptive_language, expressive_language" are qualified as "sensory_impairment"
    When seqplan plans the assessment
    Then the plan cautions about "sensory_communication"
    And the plan does not suggest "ot_sensory_assessment"
