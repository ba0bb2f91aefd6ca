Feature: Summarise the assessment (layer 1: knowledge_base/rules/summarise.yaml)
  Ratings become region bands, strengths, early risks, the child's state and cautions.
  Each function is rated 0-12 (12 = age-typical); a region's band comes from the mean
  of its rated functions: typical 11-12, mild 8-10, moderate 5-7, severe 0-4.

  @rule:BAND-001
  Scenario Outline: A region mean at or above 11 is typical
    Given a 10-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex <score>
    When seqplan plans the assessment
    Then rule "BAND-001" fires for the cortex
    And the cortex mean is <score>
    And the cortex band is "typical"
    And the cortex band is set by rule "BAND-001"

    Examples:
      | score |
      | 12    |
      | 11    |

  @rule:BAND-002
  Scenario Outline: A region mean from 8 up to 11 is mild
    Given a 10-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex <score>
    When seqplan plans the assessment
    Then rule "BAND-002" fires for the cortex
    And the cortex mean is <score>
    And the cortex band is "mild"
    And the cortex band is set by rule "BAND-002"

    Examples:
      | score |
      | 10    |
      | 8     |

  @rule:BAND-003
  Scenario Outline: A region mean from 5 up to 8 is moderate
    Given a 10-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex <score>
    When seqplan plans the assessment
    Then rule "BAND-003" fires for the cortex
    And the cortex mean is <score>
    And the cortex band is "moderate"
    And the cortex band is set by rule "BAND-003"

    Examples:
      | score |
      | 7     |
      | 5     |

  @rule:BAND-004
  Scenario Outline: A region mean below 5 is severe
    Given a 10-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex <score>
    When seqplan plans the assessment
    Then rule "BAND-004" fires for the cortex
    And the cortex mean is <score>
    And the cortex band is "severe"
    And the cortex band is set by rule "BAND-004"

    Examples:
      | score |
      | 4     |
      | 0     |

  @rule:BAND-002
  Scenario: One poorly rated function pulls an otherwise typical region into mild
    Given a 10-year-old with every region scored 12
    And "planning" is rated 2
    When seqplan plans the assessment
    Then the cortex mean is 10.75
    And the cortex band is "mild"
    And rule "BAND-001" does not fire for the cortex

  @rule:BAND-003
  Scenario: A moderately impaired region has a younger developmental age
    Given a 9-year-old with region scores brainstem 6, diencephalon 12, limbic 12, cortex 12
    When seqplan plans the assessment
    Then the brainstem band is "moderate"
    And the brainstem developmental age is about 4.5 years
    And the limbic developmental age is about 9 years

  @rule:DATA-001
  Scenario Outline: Too few rated functions: no conclusion about the region
    Given a 9-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex 6
    And only <rated> cortex functions are rated
    When seqplan plans the assessment
    Then rule "DATA-001" fires for the cortex
    And the cortex band is "insufficient data"
    And the cortex band is set by rule "DATA-001"
    And the cortex has no developmental age
    And rule "BAND-003" does not fire
    And no step is in the "reason" phase

    Examples:
      | rated |
      | 3     |
      | 1     |
      | 0     |

  @rule:DATA-001 @must_not_fire
  Scenario: Half of a region's functions rated is enough to judge it
    Given a 9-year-old with region scores brainstem 12, diencephalon 12, limbic 12, cortex 6
    And only 4 cortex functions are rated
    When seqplan plans the assessment
    Then rule "DATA-001" does not fire
    And the cortex band is "moderate"
    And the cortex band is set by rule "BAND-003"
    And "storytelling" is a step in the "reason" phase

  @rule:STR-001
  Scenario: Age-typical functions are named as strengths
    Given a 9-year-old with region scores brainstem 6, diencephalon 6, limbic 6, cortex 6
    And "cardiovascular" is rated 11
    And "empathy" is rated 12
    And "planning" is rated 10
    When seqplan plans the assessment
    Then rule "STR-001" fires
    And "cardiovascular" is listed as a strength
    And "empathy" is listed as a strength
    And "planning" is not listed as a strength
    And "sleep" is not listed as a strength

  @rule:HIST-001
  Scenario Outline: Severe early relational poverty is an early risk
    Given a 6-year-old with region scores brainstem 6, diencephalon 8, limbic 8, cortex 9
    And <period> history is adversity 1 and relational poverty 3
    When seqplan plans the assessment
    Then rule "HIST-001" fires for the <period>
    And rule "HIST-002" does not fire
    And <period> relational poverty is listed as an early risk
    And the review is in 8 weeks

    Examples:
      | period    |
      | perinatal |

  @rule:HIST-002
  Scenario Outline: Severe early adversity is an early risk
    Given a 6-year-old with region scores brainstem 6, diencephalon 8, limbic 8, cortex 9
    And <period> history is adversity 3 and relational poverty 0
    When seqplan plans the assessment
    Then rule "HIST-002" fires for the <period>
    And rule "HIST-001" does not fire
    And <period> adversity is listed as an early risk
    And the regulate phase is expected to last at least 24 weeks

    Examples:
      | period    |
      | perinatal |

  @rule:HIST-004
  Scenario Outline: Severe adversity after the first two months stays a risk through early childhood
    Given a 6-year-old with region scores brainstem 6, diencephalon 8, limbic 8, cortex 9
    And <period> history is adversity 3 and relational poverty 0
    When seqplan plans the assessment
    Then rule "HIST-004" fires for the <period>
    And rule "HIST-002" does not fire
    And <period> adversity is listed as an early risk
    And the regulate phase is expected to last at least 12 weeks
    And the review is in 12 weeks

    Examples:
      | period          |
      | early childhood |

  @rule:HIST-005
  Scenario: Severe childhood adversity is a risk for relational and cognitive functioning
    Given a 9-year-old with region scores brainstem 9, diencephalon 9, limbic 8, cortex 9
    And childhood history is adversity 3 and relational poverty 1
    When seqplan plans the assessment
    Then rule "HIST-005" fires
    And childhood adversity is listed as an early risk
    And the review is in 12 weeks

  @rule:HIST-001
  Scenario: Severe infancy relational poverty counts like perinatal (brief section 26)
    Given a 6-year-old with region scores brainstem 6, diencephalon 8, limbic 8, cortex 9
    And infancy history is adversity 0 and relational poverty 3
    When seqplan plans the assessment
    Then infancy relational poverty is listed as an early risk
    And the review is in 8 weeks

  @rule:HIST-001 @rule:HIST-002 @must_not_fire
  Scenario Outline: Later or less severe history is not an early risk
    Given a 9-year-old with region scores brainstem 6, diencephalon 8, limbic 8, cortex 9
    And <period> history is adversity <adversity> and relational poverty <poverty>
    When seqplan plans the assessment
    Then rule "HIST-001" does not fire
    And rule "HIST-002" does not fire
    And the review is in 12 weeks

    Examples:
      | period          | adversity | poverty |
      | perinatal       | 2         | 2       |
      | early childhood | 3         | 3       |
      | childhood       | 3         | 3       |

  @rule:REL-001
  Scenario: Low current relational health adds support for the child's relationships
    Given an 8-year-old with every region scored 12
    And current relational health is 5
    And the team is "foster carer, therapist"
    When seqplan plans the assessment
    Then rule "REL-001" fires
    And "caregiver_coaching" is a step in the "relate" phase
    And "caregiver_coaching" cites rule "REL-001"

  @rule:REL-001 @must_not_fire
  Scenario: Relational health at the threshold needs no extra support
    Given an 8-year-old with every region scored 12
    And current relational health is 8
    And the team is "foster carer, therapist"
    When seqplan plans the assessment
    Then rule "REL-001" does not fire
    And "caregiver_coaching" is not considered

  @rule:STATE-001
  Scenario Outline: A child typically in alarm or worse needs regulating first
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "<state>"
    When seqplan plans the assessment
    Then rule "STATE-001" fires for the <state>
    And the first step is in the "regulate" phase
    And "drumming" cites rule "STATE-001"

    Examples:
      | state  |
      | alarm  |
      | fear   |
      | terror |

  @rule:STATE-001 @must_not_fire
  Scenario Outline: A calm or alert child with typical scores needs no regulating
    Given a 10-year-old with every region scored 12
    And the child's typical arousal is "<state>"
    When seqplan plans the assessment
    Then rule "STATE-001" does not fire
    And no step is in the "regulate" phase
    And every step is in the "enrich" phase

    Examples:
      | state |
      | calm  |
      | alert |

  @rule:DISS-001
  Scenario: Severe dissociation adds a caution to the plan
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 8, cortex 9
    And "dissociation" is rated 4
    When seqplan plans the assessment
    Then rule "DISS-001" fires
    And the plan cautions about "dissociation"
    And the caution says "Dissociation is rated 4 of 12 (severe): use grounding"

  @rule:DISS-001 @must_not_fire
  Scenario: Moderate dissociation adds no caution
    Given a 7-year-old with region scores brainstem 6, diencephalon 6, limbic 8, cortex 9
    And "dissociation" is rated 5
    When seqplan plans the assessment
    Then rule "DISS-001" does not fire
    And the plan has no cautions

  @rule:FBAND-001 @rule:FBAND-002 @rule:FBAND-003 @rule:FBAND-004
  Scenario: Each function is banded for the Functional Brain Map, at the band edges
    Given a 9-year-old with every region scored 12
    And "cardiovascular" is rated 11
    And "thermoregulation" is rated 10
    And "sleep" is rated 8
    And "attachment" is rated 7
    And "empathy" is rated 5
    And "planning" is rated 4
    And "impulse_control" is rated 0
    And "peer_play" is not rated
    When seqplan plans the assessment
    Then "cardiovascular" is in the "typical" band by rule "FBAND-001"
    And "thermoregulation" is in the "mild" band by rule "FBAND-002"
    And "sleep" is in the "mild" band by rule "FBAND-002"
    And "attachment" is in the "moderate" band by rule "FBAND-003"
    And "empathy" is in the "moderate" band by rule "FBAND-003"
    And "planning" is in the "severe" band by rule "FBAND-004"
    And "impulse_control" is in the "severe" band by rule "FBAND-004"
    And "peer_play" is in the "unrated" band by rule ""
