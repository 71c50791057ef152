"""Optional enrichers: facts about accounts and contacts from outside the mail.

:mod:`~enrichment.providers.base` has the interface and its terminology,
:mod:`~enrichment.providers.registry` the index of providers, and :mod:`syncd.enrich`
the job that runs them, caches their answers and stores their facts. Importing this
package costs nothing: the configuration reads only its settings module.
"""
