Feature: Services beyond the model (knowledge_base/rules/referrals.yaml; brief section 24)

  @rule:REFER-001 @rule:REFER-100 @rule:REFER-101
  Scenario: Low motor and articulation ratings suggest physiotherapy; a referral already made is not repeated
    Given a 5-year-old with region scores brainstem 8, diencephalon 7, limbic 8, cortex 7
    And "gross_motor" is rated 3
    And "speech_articulation" is rated 3
    And the team is "mum, teacher, speech and language therapist (referral made)"
    When seqplan plans the assessment
    Then the plan suggests considering "physiotherapy"
    And the plan says the "speech_language_therapy" referral is already made

  @rule:REFER-002 @rule:REFER-003
  Scenario: A 15-year-old using drugs: the substance service and an exploitation screen
    Given a 15-year-old with region scores brainstem 8, diencephalon 7, limbic 6, cortex 7
    And the concerns are "cannabis, going missing"
    And adolescence history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then the plan suggests considering "substance_use_service"
    And the plan suggests considering "exploitation_screen"

  @rule:REFER-010
  Scenario: Sensory and social concerns together: consider the autism pathway
    Given a 6-year-old with region scores brainstem 5, diencephalon 7, limbic 6, cortex 7
    And the concerns are "social communication"
    And "tactile_integration" is rated 3
    When seqplan plans the assessment
    Then the plan suggests considering "autism_assessment"
